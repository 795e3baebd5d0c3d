// Original file: proto/adq/v1/features.proto

import type { Long } from '@grpc/proto-loader';

export interface ShardRange {
  'start'?: (number | string | Long);
  'end'?: (number | string | Long);
}

export interface ShardRange__Output {
  'start': (string);
  'end': (string);
}
