// Original file: proto/adq/v1/compression_service.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration';
import type { Long } from '@grpc/proto-loader';

export interface ResultSummary {
  'totalItems'?: (number | string | Long);
  'selectedItems'?: (number | string | Long);
  'classSelected'?: (number | string | Long)[];
  'storedBytes'?: (number | string | Long);
  'originalSubsetBytes'?: (number | string | Long);
  'originalDatasetBytes'?: (number | string | Long);
  'skippedBadFiles'?: (number | string | Long);
  'modelSha256'?: (string);
  'toolVersion'?: (string);
  'duration'?: (_google_protobuf_Duration | null);
}

export interface ResultSummary__Output {
  'totalItems': (string);
  'selectedItems': (string);
  'classSelected': (string)[];
  'storedBytes': (string);
  'originalSubsetBytes': (string);
  'originalDatasetBytes': (string);
  'skippedBadFiles': (string);
  'modelSha256': (string);
  'toolVersion': (string);
  'duration': (_google_protobuf_Duration__Output | null);
}
