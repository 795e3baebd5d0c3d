import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from './adq/v1/ArtifactRef';
import type { BadFile as _adq_v1_BadFile, BadFile__Output as _adq_v1_BadFile__Output } from './adq/v1/BadFile';
import type { BinScore as _adq_v1_BinScore, BinScore__Output as _adq_v1_BinScore__Output } from './adq/v1/BinScore';
import type { CompressionParams as _adq_v1_CompressionParams, CompressionParams__Output as _adq_v1_CompressionParams__Output } from './adq/v1/CompressionParams';
import type { DatasetRef as _adq_v1_DatasetRef, DatasetRef__Output as _adq_v1_DatasetRef__Output } from './adq/v1/DatasetRef';
import type { DatasetSummary as _adq_v1_DatasetSummary, DatasetSummary__Output as _adq_v1_DatasetSummary__Output } from './adq/v1/DatasetSummary';
import type { DiversityParams as _adq_v1_DiversityParams, DiversityParams__Output as _adq_v1_DiversityParams__Output } from './adq/v1/DiversityParams';
import type { ErrorDetails as _adq_v1_ErrorDetails, ErrorDetails__Output as _adq_v1_ErrorDetails__Output } from './adq/v1/ErrorDetails';
import type { FieldViolation as _adq_v1_FieldViolation, FieldViolation__Output as _adq_v1_FieldViolation__Output } from './adq/v1/FieldViolation';
import type { ModelRef as _adq_v1_ModelRef, ModelRef__Output as _adq_v1_ModelRef__Output } from './adq/v1/ModelRef';
import type { PatchGrid as _adq_v1_PatchGrid, PatchGrid__Output as _adq_v1_PatchGrid__Output } from './adq/v1/PatchGrid';
import type { QuotaViolation as _adq_v1_QuotaViolation, QuotaViolation__Output as _adq_v1_QuotaViolation__Output } from './adq/v1/QuotaViolation';
import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from './adq/v1/TaskContext';
import type { TensorInfo as _adq_v1_TensorInfo, TensorInfo__Output as _adq_v1_TensorInfo__Output } from './adq/v1/TensorInfo';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from './google/protobuf/Duration';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  adq: {
    v1: {
      ArtifactRef: MessageTypeDefinition<_adq_v1_ArtifactRef, _adq_v1_ArtifactRef__Output>
      BadFile: MessageTypeDefinition<_adq_v1_BadFile, _adq_v1_BadFile__Output>
      BinScore: MessageTypeDefinition<_adq_v1_BinScore, _adq_v1_BinScore__Output>
      CompressionParams: MessageTypeDefinition<_adq_v1_CompressionParams, _adq_v1_CompressionParams__Output>
      DatasetFormat: EnumTypeDefinition
      DatasetRef: MessageTypeDefinition<_adq_v1_DatasetRef, _adq_v1_DatasetRef__Output>
      DatasetSummary: MessageTypeDefinition<_adq_v1_DatasetSummary, _adq_v1_DatasetSummary__Output>
      DiversityMethod: EnumTypeDefinition
      DiversityParams: MessageTypeDefinition<_adq_v1_DiversityParams, _adq_v1_DiversityParams__Output>
      ErrorDetails: MessageTypeDefinition<_adq_v1_ErrorDetails, _adq_v1_ErrorDetails__Output>
      ErrorReason: EnumTypeDefinition
      FieldViolation: MessageTypeDefinition<_adq_v1_FieldViolation, _adq_v1_FieldViolation__Output>
      JobState: EnumTypeDefinition
      Method: EnumTypeDefinition
      ModelRef: MessageTypeDefinition<_adq_v1_ModelRef, _adq_v1_ModelRef__Output>
      PatchGrid: MessageTypeDefinition<_adq_v1_PatchGrid, _adq_v1_PatchGrid__Output>
      QuotaViolation: MessageTypeDefinition<_adq_v1_QuotaViolation, _adq_v1_QuotaViolation__Output>
      Stage: EnumTypeDefinition
      StoreCodec: EnumTypeDefinition
      TaskContext: MessageTypeDefinition<_adq_v1_TaskContext, _adq_v1_TaskContext__Output>
      TensorInfo: MessageTypeDefinition<_adq_v1_TensorInfo, _adq_v1_TensorInfo__Output>
    }
  }
  google: {
    protobuf: {
      Duration: MessageTypeDefinition<_google_protobuf_Duration, _google_protobuf_Duration__Output>
    }
  }
}

