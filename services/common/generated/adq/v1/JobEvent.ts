// Original file: proto/adq/v1/compression_service.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Job as _adq_v1_Job, Job__Output as _adq_v1_Job__Output } from '../../adq/v1/Job';
import type { JobStateChanged as _adq_v1_JobStateChanged, JobStateChanged__Output as _adq_v1_JobStateChanged__Output } from '../../adq/v1/JobStateChanged';
import type { StageProgress as _adq_v1_StageProgress, StageProgress__Output as _adq_v1_StageProgress__Output } from '../../adq/v1/StageProgress';
import type { JobWarning as _adq_v1_JobWarning, JobWarning__Output as _adq_v1_JobWarning__Output } from '../../adq/v1/JobWarning';
import type { JobTerminal as _adq_v1_JobTerminal, JobTerminal__Output as _adq_v1_JobTerminal__Output } from '../../adq/v1/JobTerminal';
import type { Heartbeat as _adq_v1_Heartbeat, Heartbeat__Output as _adq_v1_Heartbeat__Output } from '../../adq/v1/Heartbeat';
import type { Long } from '@grpc/proto-loader';

export interface JobEvent {
  'sequence'?: (number | string | Long);
  'time'?: (_google_protobuf_Timestamp | null);
  'jobId'?: (string);
  'snapshot'?: (_adq_v1_Job | null);
  'stateChanged'?: (_adq_v1_JobStateChanged | null);
  'progress'?: (_adq_v1_StageProgress | null);
  'warning'?: (_adq_v1_JobWarning | null);
  'terminal'?: (_adq_v1_JobTerminal | null);
  'heartbeat'?: (_adq_v1_Heartbeat | null);
  'event'?: "snapshot"|"stateChanged"|"progress"|"warning"|"terminal"|"heartbeat";
}

export interface JobEvent__Output {
  'sequence': (string);
  'time': (_google_protobuf_Timestamp__Output | null);
  'jobId': (string);
  'snapshot'?: (_adq_v1_Job__Output | null);
  'stateChanged'?: (_adq_v1_JobStateChanged__Output | null);
  'progress'?: (_adq_v1_StageProgress__Output | null);
  'warning'?: (_adq_v1_JobWarning__Output | null);
  'terminal'?: (_adq_v1_JobTerminal__Output | null);
  'heartbeat'?: (_adq_v1_Heartbeat__Output | null);
  'event'?: "snapshot"|"stateChanged"|"progress"|"warning"|"terminal"|"heartbeat";
}
