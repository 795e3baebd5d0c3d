import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from './adq/v1/ArtifactRef';
import type { BadFile as _adq_v1_BadFile, BadFile__Output as _adq_v1_BadFile__Output } from './adq/v1/BadFile';
import type { BinScore as _adq_v1_BinScore, BinScore__Output as _adq_v1_BinScore__Output } from './adq/v1/BinScore';
import type { CancelJobRequest as _adq_v1_CancelJobRequest, CancelJobRequest__Output as _adq_v1_CancelJobRequest__Output } from './adq/v1/CancelJobRequest';
import type { CompressionParams as _adq_v1_CompressionParams, CompressionParams__Output as _adq_v1_CompressionParams__Output } from './adq/v1/CompressionParams';
import type { CompressionServiceClient as _adq_v1_CompressionServiceClient, CompressionServiceDefinition as _adq_v1_CompressionServiceDefinition } from './adq/v1/CompressionService';
import type { CreateJobRequest as _adq_v1_CreateJobRequest, CreateJobRequest__Output as _adq_v1_CreateJobRequest__Output } from './adq/v1/CreateJobRequest';
import type { CreateJobResponse as _adq_v1_CreateJobResponse, CreateJobResponse__Output as _adq_v1_CreateJobResponse__Output } from './adq/v1/CreateJobResponse';
import type { DatasetRef as _adq_v1_DatasetRef, DatasetRef__Output as _adq_v1_DatasetRef__Output } from './adq/v1/DatasetRef';
import type { DatasetSummary as _adq_v1_DatasetSummary, DatasetSummary__Output as _adq_v1_DatasetSummary__Output } from './adq/v1/DatasetSummary';
import type { DeleteJobRequest as _adq_v1_DeleteJobRequest, DeleteJobRequest__Output as _adq_v1_DeleteJobRequest__Output } from './adq/v1/DeleteJobRequest';
import type { DeleteJobResponse as _adq_v1_DeleteJobResponse, DeleteJobResponse__Output as _adq_v1_DeleteJobResponse__Output } from './adq/v1/DeleteJobResponse';
import type { DeleteUploadRequest as _adq_v1_DeleteUploadRequest, DeleteUploadRequest__Output as _adq_v1_DeleteUploadRequest__Output } from './adq/v1/DeleteUploadRequest';
import type { DeleteUploadResponse as _adq_v1_DeleteUploadResponse, DeleteUploadResponse__Output as _adq_v1_DeleteUploadResponse__Output } from './adq/v1/DeleteUploadResponse';
import type { DiversityParams as _adq_v1_DiversityParams, DiversityParams__Output as _adq_v1_DiversityParams__Output } from './adq/v1/DiversityParams';
import type { DownloadResultChunk as _adq_v1_DownloadResultChunk, DownloadResultChunk__Output as _adq_v1_DownloadResultChunk__Output } from './adq/v1/DownloadResultChunk';
import type { DownloadResultRequest as _adq_v1_DownloadResultRequest, DownloadResultRequest__Output as _adq_v1_DownloadResultRequest__Output } from './adq/v1/DownloadResultRequest';
import type { ErrorDetails as _adq_v1_ErrorDetails, ErrorDetails__Output as _adq_v1_ErrorDetails__Output } from './adq/v1/ErrorDetails';
import type { FieldViolation as _adq_v1_FieldViolation, FieldViolation__Output as _adq_v1_FieldViolation__Output } from './adq/v1/FieldViolation';
import type { GetJobRequest as _adq_v1_GetJobRequest, GetJobRequest__Output as _adq_v1_GetJobRequest__Output } from './adq/v1/GetJobRequest';
import type { GetResultRequest as _adq_v1_GetResultRequest, GetResultRequest__Output as _adq_v1_GetResultRequest__Output } from './adq/v1/GetResultRequest';
import type { Heartbeat as _adq_v1_Heartbeat, Heartbeat__Output as _adq_v1_Heartbeat__Output } from './adq/v1/Heartbeat';
import type { Job as _adq_v1_Job, Job__Output as _adq_v1_Job__Output } from './adq/v1/Job';
import type { JobEvent as _adq_v1_JobEvent, JobEvent__Output as _adq_v1_JobEvent__Output } from './adq/v1/JobEvent';
import type { JobResult as _adq_v1_JobResult, JobResult__Output as _adq_v1_JobResult__Output } from './adq/v1/JobResult';
import type { JobStateChanged as _adq_v1_JobStateChanged, JobStateChanged__Output as _adq_v1_JobStateChanged__Output } from './adq/v1/JobStateChanged';
import type { JobTerminal as _adq_v1_JobTerminal, JobTerminal__Output as _adq_v1_JobTerminal__Output } from './adq/v1/JobTerminal';
import type { JobWarning as _adq_v1_JobWarning, JobWarning__Output as _adq_v1_JobWarning__Output } from './adq/v1/JobWarning';
import type { ListJobsRequest as _adq_v1_ListJobsRequest, ListJobsRequest__Output as _adq_v1_ListJobsRequest__Output } from './adq/v1/ListJobsRequest';
import type { ListJobsResponse as _adq_v1_ListJobsResponse, ListJobsResponse__Output as _adq_v1_ListJobsResponse__Output } from './adq/v1/ListJobsResponse';
import type { ModelRef as _adq_v1_ModelRef, ModelRef__Output as _adq_v1_ModelRef__Output } from './adq/v1/ModelRef';
import type { OutputOptions as _adq_v1_OutputOptions, OutputOptions__Output as _adq_v1_OutputOptions__Output } from './adq/v1/OutputOptions';
import type { PatchGrid as _adq_v1_PatchGrid, PatchGrid__Output as _adq_v1_PatchGrid__Output } from './adq/v1/PatchGrid';
import type { QuotaViolation as _adq_v1_QuotaViolation, QuotaViolation__Output as _adq_v1_QuotaViolation__Output } from './adq/v1/QuotaViolation';
import type { ResultFile as _adq_v1_ResultFile, ResultFile__Output as _adq_v1_ResultFile__Output } from './adq/v1/ResultFile';
import type { ResultSummary as _adq_v1_ResultSummary, ResultSummary__Output as _adq_v1_ResultSummary__Output } from './adq/v1/ResultSummary';
import type { StageProgress as _adq_v1_StageProgress, StageProgress__Output as _adq_v1_StageProgress__Output } from './adq/v1/StageProgress';
import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from './adq/v1/TaskContext';
import type { TensorInfo as _adq_v1_TensorInfo, TensorInfo__Output as _adq_v1_TensorInfo__Output } from './adq/v1/TensorInfo';
import type { UploadDatasetRequest as _adq_v1_UploadDatasetRequest, UploadDatasetRequest__Output as _adq_v1_UploadDatasetRequest__Output } from './adq/v1/UploadDatasetRequest';
import type { UploadDatasetResponse as _adq_v1_UploadDatasetResponse, UploadDatasetResponse__Output as _adq_v1_UploadDatasetResponse__Output } from './adq/v1/UploadDatasetResponse';
import type { UploadHeader as _adq_v1_UploadHeader, UploadHeader__Output as _adq_v1_UploadHeader__Output } from './adq/v1/UploadHeader';
import type { WatchJobRequest as _adq_v1_WatchJobRequest, WatchJobRequest__Output as _adq_v1_WatchJobRequest__Output } from './adq/v1/WatchJobRequest';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from './google/protobuf/Duration';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  adq: {
    v1: {
      ArchiveFormat: EnumTypeDefinition
      ArtifactRef: MessageTypeDefinition<_adq_v1_ArtifactRef, _adq_v1_ArtifactRef__Output>
      BadFile: MessageTypeDefinition<_adq_v1_BadFile, _adq_v1_BadFile__Output>
      BinScore: MessageTypeDefinition<_adq_v1_BinScore, _adq_v1_BinScore__Output>
      CancelJobRequest: MessageTypeDefinition<_adq_v1_CancelJobRequest, _adq_v1_CancelJobRequest__Output>
      CompressionParams: MessageTypeDefinition<_adq_v1_CompressionParams, _adq_v1_CompressionParams__Output>
      CompressionService: SubtypeConstructor<typeof grpc.Client, _adq_v1_CompressionServiceClient> & { service: _adq_v1_CompressionServiceDefinition }
      CreateJobRequest: MessageTypeDefinition<_adq_v1_CreateJobRequest, _adq_v1_CreateJobRequest__Output>
      CreateJobResponse: MessageTypeDefinition<_adq_v1_CreateJobResponse, _adq_v1_CreateJobResponse__Output>
      DatasetFormat: EnumTypeDefinition
      DatasetRef: MessageTypeDefinition<_adq_v1_DatasetRef, _adq_v1_DatasetRef__Output>
      DatasetSummary: MessageTypeDefinition<_adq_v1_DatasetSummary, _adq_v1_DatasetSummary__Output>
      DeleteJobRequest: MessageTypeDefinition<_adq_v1_DeleteJobRequest, _adq_v1_DeleteJobRequest__Output>
      DeleteJobResponse: MessageTypeDefinition<_adq_v1_DeleteJobResponse, _adq_v1_DeleteJobResponse__Output>
      DeleteUploadRequest: MessageTypeDefinition<_adq_v1_DeleteUploadRequest, _adq_v1_DeleteUploadRequest__Output>
      DeleteUploadResponse: MessageTypeDefinition<_adq_v1_DeleteUploadResponse, _adq_v1_DeleteUploadResponse__Output>
      DiversityMethod: EnumTypeDefinition
      DiversityParams: MessageTypeDefinition<_adq_v1_DiversityParams, _adq_v1_DiversityParams__Output>
      DownloadResultChunk: MessageTypeDefinition<_adq_v1_DownloadResultChunk, _adq_v1_DownloadResultChunk__Output>
      DownloadResultRequest: MessageTypeDefinition<_adq_v1_DownloadResultRequest, _adq_v1_DownloadResultRequest__Output>
      ErrorDetails: MessageTypeDefinition<_adq_v1_ErrorDetails, _adq_v1_ErrorDetails__Output>
      ErrorReason: EnumTypeDefinition
      FieldViolation: MessageTypeDefinition<_adq_v1_FieldViolation, _adq_v1_FieldViolation__Output>
      GetJobRequest: MessageTypeDefinition<_adq_v1_GetJobRequest, _adq_v1_GetJobRequest__Output>
      GetResultRequest: MessageTypeDefinition<_adq_v1_GetResultRequest, _adq_v1_GetResultRequest__Output>
      Heartbeat: MessageTypeDefinition<_adq_v1_Heartbeat, _adq_v1_Heartbeat__Output>
      Job: MessageTypeDefinition<_adq_v1_Job, _adq_v1_Job__Output>
      JobEvent: MessageTypeDefinition<_adq_v1_JobEvent, _adq_v1_JobEvent__Output>
      JobResult: MessageTypeDefinition<_adq_v1_JobResult, _adq_v1_JobResult__Output>
      JobState: EnumTypeDefinition
      JobStateChanged: MessageTypeDefinition<_adq_v1_JobStateChanged, _adq_v1_JobStateChanged__Output>
      JobTerminal: MessageTypeDefinition<_adq_v1_JobTerminal, _adq_v1_JobTerminal__Output>
      JobWarning: MessageTypeDefinition<_adq_v1_JobWarning, _adq_v1_JobWarning__Output>
      ListJobsRequest: MessageTypeDefinition<_adq_v1_ListJobsRequest, _adq_v1_ListJobsRequest__Output>
      ListJobsResponse: MessageTypeDefinition<_adq_v1_ListJobsResponse, _adq_v1_ListJobsResponse__Output>
      Method: EnumTypeDefinition
      ModelRef: MessageTypeDefinition<_adq_v1_ModelRef, _adq_v1_ModelRef__Output>
      OutputOptions: MessageTypeDefinition<_adq_v1_OutputOptions, _adq_v1_OutputOptions__Output>
      PatchGrid: MessageTypeDefinition<_adq_v1_PatchGrid, _adq_v1_PatchGrid__Output>
      QuotaViolation: MessageTypeDefinition<_adq_v1_QuotaViolation, _adq_v1_QuotaViolation__Output>
      ResultFile: MessageTypeDefinition<_adq_v1_ResultFile, _adq_v1_ResultFile__Output>
      ResultSummary: MessageTypeDefinition<_adq_v1_ResultSummary, _adq_v1_ResultSummary__Output>
      Stage: EnumTypeDefinition
      StageProgress: MessageTypeDefinition<_adq_v1_StageProgress, _adq_v1_StageProgress__Output>
      StageState: EnumTypeDefinition
      StoreCodec: EnumTypeDefinition
      TaskContext: MessageTypeDefinition<_adq_v1_TaskContext, _adq_v1_TaskContext__Output>
      TensorInfo: MessageTypeDefinition<_adq_v1_TensorInfo, _adq_v1_TensorInfo__Output>
      UploadDatasetRequest: MessageTypeDefinition<_adq_v1_UploadDatasetRequest, _adq_v1_UploadDatasetRequest__Output>
      UploadDatasetResponse: MessageTypeDefinition<_adq_v1_UploadDatasetResponse, _adq_v1_UploadDatasetResponse__Output>
      UploadHeader: MessageTypeDefinition<_adq_v1_UploadHeader, _adq_v1_UploadHeader__Output>
      WatchJobRequest: MessageTypeDefinition<_adq_v1_WatchJobRequest, _adq_v1_WatchJobRequest__Output>
    }
  }
  google: {
    protobuf: {
      Duration: MessageTypeDefinition<_google_protobuf_Duration, _google_protobuf_Duration__Output>
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
}

