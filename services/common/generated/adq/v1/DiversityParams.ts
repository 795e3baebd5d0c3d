// Original file: proto/adq/v1/common.proto

import type { DiversityMethod as _adq_v1_DiversityMethod, DiversityMethod__Output as _adq_v1_DiversityMethod__Output } from '../../adq/v1/DiversityMethod';

export interface DiversityParams {
  'method'?: (_adq_v1_DiversityMethod);
  'tau'?: (number | string);
  '_tau'?: "tau";
}

export interface DiversityParams__Output {
  'method': (_adq_v1_DiversityMethod__Output);
  'tau'?: (number);
  '_tau'?: "tau";
}
