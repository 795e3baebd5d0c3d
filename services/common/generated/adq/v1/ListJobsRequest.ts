// Original file: proto/adq/v1/compression_service.proto

import type { JobState as _adq_v1_JobState, JobState__Output as _adq_v1_JobState__Output } from '../../adq/v1/JobState';

export interface ListJobsRequest {
  'pageSize'?: (number);
  'pageToken'?: (string);
  'states'?: (_adq_v1_JobState)[];
}

export interface ListJobsRequest__Output {
  'pageSize': (number);
  'pageToken': (string);
  'states': (_adq_v1_JobState__Output)[];
}
