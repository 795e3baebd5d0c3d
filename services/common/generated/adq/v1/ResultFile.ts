// Original file: proto/adq/v1/compression_service.proto

import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';

export interface ResultFile {
  'name'?: (string);
  'artifact'?: (_adq_v1_ArtifactRef | null);
}

export interface ResultFile__Output {
  'name': (string);
  'artifact': (_adq_v1_ArtifactRef__Output | null);
}
