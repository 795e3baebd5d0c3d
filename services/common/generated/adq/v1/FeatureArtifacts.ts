// Original file: proto/adq/v1/features.proto

import type { ShardRange as _adq_v1_ShardRange, ShardRange__Output as _adq_v1_ShardRange__Output } from '../../adq/v1/ShardRange';
import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';

export interface FeatureArtifacts {
  'shard'?: (_adq_v1_ShardRange | null);
  'itemIndices'?: (_adq_v1_ArtifactRef | null);
  'labels'?: (_adq_v1_ArtifactRef | null);
  'embeddings'?: (_adq_v1_ArtifactRef | null);
  'logits'?: (_adq_v1_ArtifactRef | null);
  'pooled'?: (_adq_v1_ArtifactRef | null);
  'featureMaps'?: (_adq_v1_ArtifactRef | null);
  'textureLevels'?: (_adq_v1_ArtifactRef | null);
  'views'?: (_adq_v1_ArtifactRef | null);
}

export interface FeatureArtifacts__Output {
  'shard': (_adq_v1_ShardRange__Output | null);
  'itemIndices': (_adq_v1_ArtifactRef__Output | null);
  'labels': (_adq_v1_ArtifactRef__Output | null);
  'embeddings': (_adq_v1_ArtifactRef__Output | null);
  'logits': (_adq_v1_ArtifactRef__Output | null);
  'pooled': (_adq_v1_ArtifactRef__Output | null);
  'featureMaps': (_adq_v1_ArtifactRef__Output | null);
  'textureLevels': (_adq_v1_ArtifactRef__Output | null);
  'views': (_adq_v1_ArtifactRef__Output | null);
}
