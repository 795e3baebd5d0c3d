// Original file: proto/adq/v1/common.proto

import type { Long } from '@grpc/proto-loader';

export interface BadFile {
  'path'?: (string);
  'index'?: (number | string | Long);
  'reason'?: (string);
}

export interface BadFile__Output {
  'path': (string);
  'index': (string);
  'reason': (string);
}
