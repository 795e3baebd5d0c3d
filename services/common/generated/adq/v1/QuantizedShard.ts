// Original file: proto/adq/v1/sampling.proto

import type { PatchGrid as _adq_v1_PatchGrid, PatchGrid__Output as _adq_v1_PatchGrid__Output } from '../../adq/v1/PatchGrid';
import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { Long } from '@grpc/proto-loader';

export interface QuantizedShard {
  'classIndex'?: (number);
  'itemCount'?: (number | string | Long);
  'patchGrid'?: (_adq_v1_PatchGrid | null);
  'masks'?: (_adq_v1_ArtifactRef | null);
  'patches'?: (_adq_v1_ArtifactRef | null);
  'index'?: (_adq_v1_ArtifactRef | null);
  'storedBytes'?: (number | string | Long);
  'originalBytes'?: (number | string | Long);
}

export interface QuantizedShard__Output {
  'classIndex': (number);
  'itemCount': (string);
  'patchGrid': (_adq_v1_PatchGrid__Output | null);
  'masks': (_adq_v1_ArtifactRef__Output | null);
  'patches': (_adq_v1_ArtifactRef__Output | null);
  'index': (_adq_v1_ArtifactRef__Output | null);
  'storedBytes': (string);
  'originalBytes': (string);
}
