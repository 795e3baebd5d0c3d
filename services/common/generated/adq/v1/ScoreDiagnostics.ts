// Original file: proto/adq/v1/scoring.proto

import type { Long } from '@grpc/proto-loader';

export interface ScoreDiagnostics {
  'rsStddev'?: (number | string);
  'discriminatorLoss'?: (number | string);
  'views'?: (number | string | Long);
}

export interface ScoreDiagnostics__Output {
  'rsStddev': (number);
  'discriminatorLoss': (number);
  'views': (string);
}
