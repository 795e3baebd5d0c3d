// Original file: proto/adq/v1/sampling.proto

import type { QuantizedShard as _adq_v1_QuantizedShard, QuantizedShard__Output as _adq_v1_QuantizedShard__Output } from '../../adq/v1/QuantizedShard';

export interface DropPatchesResponse {
  'store'?: (_adq_v1_QuantizedShard | null);
  'reused'?: (boolean);
}

export interface DropPatchesResponse__Output {
  'store': (_adq_v1_QuantizedShard__Output | null);
  'reused': (boolean);
}
