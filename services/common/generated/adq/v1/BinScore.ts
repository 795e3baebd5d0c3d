// Original file: proto/adq/v1/common.proto

import type { Long } from '@grpc/proto-loader';

export interface BinScore {
  'classIndex'?: (number);
  'className'?: (string);
  'binIndex'?: (number);
  'size'?: (number | string | Long);
  'rs'?: (number | string);
  'ds'?: (number | string);
  'rsNormalized'?: (number | string);
  'dsNormalized'?: (number | string);
  'importance'?: (number | string);
  'allocated'?: (number | string | Long);
}

export interface BinScore__Output {
  'classIndex': (number);
  'className': (string);
  'binIndex': (number);
  'size': (string);
  'rs': (number);
  'ds': (number);
  'rsNormalized': (number);
  'dsNormalized': (number);
  'importance': (number);
  'allocated': (string);
}
