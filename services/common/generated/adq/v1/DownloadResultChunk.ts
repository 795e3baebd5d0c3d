// Original file: proto/adq/v1/compression_service.proto

import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { Long } from '@grpc/proto-loader';

export interface DownloadResultChunk {
  'file'?: (_adq_v1_ArtifactRef | null);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
}

export interface DownloadResultChunk__Output {
  'file': (_adq_v1_ArtifactRef__Output | null);
  'offset': (string);
  'data': (Buffer);
}
