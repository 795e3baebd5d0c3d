// Original file: proto/adq/v1/common.proto

import type { DatasetFormat as _adq_v1_DatasetFormat, DatasetFormat__Output as _adq_v1_DatasetFormat__Output } from '../../adq/v1/DatasetFormat';
import type { Long } from '@grpc/proto-loader';

export interface DatasetSummary {
  'numItems'?: (number | string | Long);
  'classNames'?: (string)[];
  'classCounts'?: (number | string | Long)[];
  'totalBytes'?: (number | string | Long);
  'format'?: (_adq_v1_DatasetFormat);
}

export interface DatasetSummary__Output {
  'numItems': (string);
  'classNames': (string)[];
  'classCounts': (string)[];
  'totalBytes': (string);
  'format': (_adq_v1_DatasetFormat__Output);
}
