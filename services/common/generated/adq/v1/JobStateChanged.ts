// Original file: proto/adq/v1/compression_service.proto

import type { JobState as _adq_v1_JobState, JobState__Output as _adq_v1_JobState__Output } from '../../adq/v1/JobState';

export interface JobStateChanged {
  'previousState'?: (_adq_v1_JobState);
  'state'?: (_adq_v1_JobState);
}

export interface JobStateChanged__Output {
  'previousState': (_adq_v1_JobState__Output);
  'state': (_adq_v1_JobState__Output);
}
