// Original file: proto/adq/v1/common.proto

import type { Long } from '@grpc/proto-loader';

export interface QuotaViolation {
  'quota'?: (string);
  'limit'?: (number | string | Long);
  'requested'?: (number | string | Long);
}

export interface QuotaViolation__Output {
  'quota': (string);
  'limit': (string);
  'requested': (string);
}
