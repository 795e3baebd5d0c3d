// Original file: proto/adq/v1/features.proto

import type { FeatureArtifacts as _adq_v1_FeatureArtifacts, FeatureArtifacts__Output as _adq_v1_FeatureArtifacts__Output } from '../../adq/v1/FeatureArtifacts';
import type { BadFile as _adq_v1_BadFile, BadFile__Output as _adq_v1_BadFile__Output } from '../../adq/v1/BadFile';
import type { ModelInfo as _adq_v1_ModelInfo, ModelInfo__Output as _adq_v1_ModelInfo__Output } from '../../adq/v1/ModelInfo';
import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { Long } from '@grpc/proto-loader';

export interface ExtractFeaturesResponse {
  'features'?: (_adq_v1_FeatureArtifacts | null);
  'itemCount'?: (number | string | Long);
  'badFiles'?: (_adq_v1_BadFile)[];
  'model'?: (_adq_v1_ModelInfo | null);
  'reused'?: (boolean);
  'badFilesTotal'?: (number | string | Long);
  'badFilesReport'?: (_adq_v1_ArtifactRef | null);
}

export interface ExtractFeaturesResponse__Output {
  'features': (_adq_v1_FeatureArtifacts__Output | null);
  'itemCount': (string);
  'badFiles': (_adq_v1_BadFile__Output)[];
  'model': (_adq_v1_ModelInfo__Output | null);
  'reused': (boolean);
  'badFilesTotal': (string);
  'badFilesReport': (_adq_v1_ArtifactRef__Output | null);
}
