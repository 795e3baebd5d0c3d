// Original file: proto/adq/v1/common.proto

import type { TensorInfo as _adq_v1_TensorInfo, TensorInfo__Output as _adq_v1_TensorInfo__Output } from '../../adq/v1/TensorInfo';
import type { Long } from '@grpc/proto-loader';

export interface ArtifactRef {
  'key'?: (string);
  'sha256'?: (string);
  'sizeBytes'?: (number | string | Long);
  'mediaType'?: (string);
  'tensor'?: (_adq_v1_TensorInfo | null);
}

export interface ArtifactRef__Output {
  'key': (string);
  'sha256': (string);
  'sizeBytes': (string);
  'mediaType': (string);
  'tensor': (_adq_v1_TensorInfo__Output | null);
}
