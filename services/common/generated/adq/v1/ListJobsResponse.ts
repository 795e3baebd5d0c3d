// Original file: proto/adq/v1/compression_service.proto

import type { Job as _adq_v1_Job, Job__Output as _adq_v1_Job__Output } from '../../adq/v1/Job';

export interface ListJobsResponse {
  'jobs'?: (_adq_v1_Job)[];
  'nextPageToken'?: (string);
}

export interface ListJobsResponse__Output {
  'jobs': (_adq_v1_Job__Output)[];
  'nextPageToken': (string);
}
