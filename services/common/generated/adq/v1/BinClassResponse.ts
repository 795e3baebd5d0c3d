// Original file: proto/adq/v1/binning.proto

import type { ClassBins as _adq_v1_ClassBins, ClassBins__Output as _adq_v1_ClassBins__Output } from '../../adq/v1/ClassBins';

export interface BinClassResponse {
  'bins'?: (_adq_v1_ClassBins | null);
  'reused'?: (boolean);
}

export interface BinClassResponse__Output {
  'bins': (_adq_v1_ClassBins__Output | null);
  'reused': (boolean);
}
