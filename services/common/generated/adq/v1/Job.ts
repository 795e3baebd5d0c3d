// Original file: proto/adq/v1/compression_service.proto

import type { JobState as _adq_v1_JobState, JobState__Output as _adq_v1_JobState__Output } from '../../adq/v1/JobState';
import type { DatasetRef as _adq_v1_DatasetRef, DatasetRef__Output as _adq_v1_DatasetRef__Output } from '../../adq/v1/DatasetRef';
import type { CompressionParams as _adq_v1_CompressionParams, CompressionParams__Output as _adq_v1_CompressionParams__Output } from '../../adq/v1/CompressionParams';
import type { OutputOptions as _adq_v1_OutputOptions, OutputOptions__Output as _adq_v1_OutputOptions__Output } from '../../adq/v1/OutputOptions';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Stage as _adq_v1_Stage, Stage__Output as _adq_v1_Stage__Output } from '../../adq/v1/Stage';
import type { StageProgress as _adq_v1_StageProgress, StageProgress__Output as _adq_v1_StageProgress__Output } from '../../adq/v1/StageProgress';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration';
import type { ErrorDetails as _adq_v1_ErrorDetails, ErrorDetails__Output as _adq_v1_ErrorDetails__Output } from '../../adq/v1/ErrorDetails';
import type { DatasetSummary as _adq_v1_DatasetSummary, DatasetSummary__Output as _adq_v1_DatasetSummary__Output } from '../../adq/v1/DatasetSummary';
import type { JobWarning as _adq_v1_JobWarning, JobWarning__Output as _adq_v1_JobWarning__Output } from '../../adq/v1/JobWarning';
import type { Long } from '@grpc/proto-loader';

export interface Job {
  'id'?: (string);
  'tenantId'?: (string);
  'state'?: (_adq_v1_JobState);
  'dataset'?: (_adq_v1_DatasetRef | null);
  'params'?: (_adq_v1_CompressionParams | null);
  'outputs'?: (_adq_v1_OutputOptions | null);
  'idempotencyKey'?: (string);
  'displayName'?: (string);
  'labels'?: ({[key: string]: string});
  'createTime'?: (_google_protobuf_Timestamp | null);
  'startTime'?: (_google_protobuf_Timestamp | null);
  'updateTime'?: (_google_protobuf_Timestamp | null);
  'endTime'?: (_google_protobuf_Timestamp | null);
  'currentStage'?: (_adq_v1_Stage);
  'stages'?: (_adq_v1_StageProgress)[];
  'eta'?: (_google_protobuf_Duration | null);
  'error'?: (_adq_v1_ErrorDetails | null);
  'datasetSummary'?: (_adq_v1_DatasetSummary | null);
  'warnings'?: (_adq_v1_JobWarning)[];
  'eventSequence'?: (number | string | Long);
  'cancelReason'?: (string);
}

export interface Job__Output {
  'id': (string);
  'tenantId': (string);
  'state': (_adq_v1_JobState__Output);
  'dataset': (_adq_v1_DatasetRef__Output | null);
  'params': (_adq_v1_CompressionParams__Output | null);
  'outputs': (_adq_v1_OutputOptions__Output | null);
  'idempotencyKey': (string);
  'displayName': (string);
  'labels': ({[key: string]: string});
  'createTime': (_google_protobuf_Timestamp__Output | null);
  'startTime': (_google_protobuf_Timestamp__Output | null);
  'updateTime': (_google_protobuf_Timestamp__Output | null);
  'endTime': (_google_protobuf_Timestamp__Output | null);
  'currentStage': (_adq_v1_Stage__Output);
  'stages': (_adq_v1_StageProgress__Output)[];
  'eta': (_google_protobuf_Duration__Output | null);
  'error': (_adq_v1_ErrorDetails__Output | null);
  'datasetSummary': (_adq_v1_DatasetSummary__Output | null);
  'warnings': (_adq_v1_JobWarning__Output)[];
  'eventSequence': (string);
  'cancelReason': (string);
}
