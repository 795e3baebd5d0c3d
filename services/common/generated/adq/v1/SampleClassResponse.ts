// Original file: proto/adq/v1/sampling.proto

import type { ClassSelection as _adq_v1_ClassSelection, ClassSelection__Output as _adq_v1_ClassSelection__Output } from '../../adq/v1/ClassSelection';

export interface SampleClassResponse {
  'selection'?: (_adq_v1_ClassSelection | null);
  'reused'?: (boolean);
}

export interface SampleClassResponse__Output {
  'selection': (_adq_v1_ClassSelection__Output | null);
  'reused': (boolean);
}
