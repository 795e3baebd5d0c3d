// Original file: proto/adq/v1/sampling.proto

import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { Long } from '@grpc/proto-loader';

export interface ClassSelection {
  'classIndex'?: (number);
  'count'?: (number | string | Long);
  'items'?: (_adq_v1_ArtifactRef | null);
}

export interface ClassSelection__Output {
  'classIndex': (number);
  'count': (string);
  'items': (_adq_v1_ArtifactRef__Output | null);
}
