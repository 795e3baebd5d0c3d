// Original file: proto/adq/v1/compression_service.proto

import type { Stage as _adq_v1_Stage, Stage__Output as _adq_v1_Stage__Output } from '../../adq/v1/Stage';
import type { StageState as _adq_v1_StageState, StageState__Output as _adq_v1_StageState__Output } from '../../adq/v1/StageState';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration';
import type { Long } from '@grpc/proto-loader';

export interface StageProgress {
  'stage'?: (_adq_v1_Stage);
  'state'?: (_adq_v1_StageState);
  'done'?: (number | string | Long);
  'total'?: (number | string | Long);
  'unit'?: (string);
  'tasksDone'?: (number | string | Long);
  'tasksTotal'?: (number | string | Long);
  'retries'?: (number);
  'startTime'?: (_google_protobuf_Timestamp | null);
  'endTime'?: (_google_protobuf_Timestamp | null);
  'eta'?: (_google_protobuf_Duration | null);
  'rate'?: (number | string);
}

export interface StageProgress__Output {
  'stage': (_adq_v1_Stage__Output);
  'state': (_adq_v1_StageState__Output);
  'done': (string);
  'total': (string);
  'unit': (string);
  'tasksDone': (string);
  'tasksTotal': (string);
  'retries': (number);
  'startTime': (_google_protobuf_Timestamp__Output | null);
  'endTime': (_google_protobuf_Timestamp__Output | null);
  'eta': (_google_protobuf_Duration__Output | null);
  'rate': (number);
}
