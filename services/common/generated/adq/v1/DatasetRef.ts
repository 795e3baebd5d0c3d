// Original file: proto/adq/v1/common.proto

import type { DatasetFormat as _adq_v1_DatasetFormat, DatasetFormat__Output as _adq_v1_DatasetFormat__Output } from '../../adq/v1/DatasetFormat';

export interface DatasetRef {
  'uri'?: (string);
  'format'?: (_adq_v1_DatasetFormat);
}

export interface DatasetRef__Output {
  'uri': (string);
  'format': (_adq_v1_DatasetFormat__Output);
}
