// Original file: proto/adq/v1/compression_service.proto

import type { DatasetRef as _adq_v1_DatasetRef, DatasetRef__Output as _adq_v1_DatasetRef__Output } from '../../adq/v1/DatasetRef';
import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { DatasetSummary as _adq_v1_DatasetSummary, DatasetSummary__Output as _adq_v1_DatasetSummary__Output } from '../../adq/v1/DatasetSummary';

export interface UploadDatasetResponse {
  'dataset'?: (_adq_v1_DatasetRef | null);
  'archive'?: (_adq_v1_ArtifactRef | null);
  'summary'?: (_adq_v1_DatasetSummary | null);
  'deduplicated'?: (boolean);
}

export interface UploadDatasetResponse__Output {
  'dataset': (_adq_v1_DatasetRef__Output | null);
  'archive': (_adq_v1_ArtifactRef__Output | null);
  'summary': (_adq_v1_DatasetSummary__Output | null);
  'deduplicated': (boolean);
}
