// Original file: proto/adq/v1/sampling.proto

import type { BinScore as _adq_v1_BinScore, BinScore__Output as _adq_v1_BinScore__Output } from '../../adq/v1/BinScore';
import type { Long } from '@grpc/proto-loader';

export interface AllocateResponse {
  'bins'?: (_adq_v1_BinScore)[];
  'totalSelected'?: (number | string | Long);
  'classSelected'?: (number | string | Long)[];
}

export interface AllocateResponse__Output {
  'bins': (_adq_v1_BinScore__Output)[];
  'totalSelected': (string);
  'classSelected': (string)[];
}
