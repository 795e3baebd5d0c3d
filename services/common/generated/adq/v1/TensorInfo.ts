// Original file: proto/adq/v1/common.proto

import type { Long } from '@grpc/proto-loader';

export interface TensorInfo {
  'dtype'?: (string);
  'shape'?: (number | string | Long)[];
}

export interface TensorInfo__Output {
  'dtype': (string);
  'shape': (string)[];
}
