// Original file: proto/adq/v1/binning.proto

import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { Long } from '@grpc/proto-loader';

export interface ClassBins {
  'classIndex'?: (number);
  'classSize'?: (number | string | Long);
  'binSizes'?: (number | string | Long)[];
  'bins'?: (_adq_v1_ArtifactRef | null);
}

export interface ClassBins__Output {
  'classIndex': (number);
  'classSize': (string);
  'binSizes': (string)[];
  'bins': (_adq_v1_ArtifactRef__Output | null);
}
