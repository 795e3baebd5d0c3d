// Original file: proto/adq/v1/sampling.proto

import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { Long } from '@grpc/proto-loader';

export interface ReconstructResponse {
  'images'?: (_adq_v1_ArtifactRef | null);
  'itemCount'?: (number | string | Long);
  'reused'?: (boolean);
}

export interface ReconstructResponse__Output {
  'images': (_adq_v1_ArtifactRef__Output | null);
  'itemCount': (string);
  'reused': (boolean);
}
