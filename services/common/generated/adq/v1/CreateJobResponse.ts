// Original file: proto/adq/v1/compression_service.proto

import type { Job as _adq_v1_Job, Job__Output as _adq_v1_Job__Output } from '../../adq/v1/Job';

export interface CreateJobResponse {
  'job'?: (_adq_v1_Job | null);
  'deduplicated'?: (boolean);
}

export interface CreateJobResponse__Output {
  'job': (_adq_v1_Job__Output | null);
  'deduplicated': (boolean);
}
