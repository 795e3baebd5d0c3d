// Original file: proto/adq/v1/compression_service.proto

import type { UploadHeader as _adq_v1_UploadHeader, UploadHeader__Output as _adq_v1_UploadHeader__Output } from '../../adq/v1/UploadHeader';

export interface UploadDatasetRequest {
  'header'?: (_adq_v1_UploadHeader | null);
  'chunk'?: (Buffer | Uint8Array | string);
  'payload'?: "header"|"chunk";
}

export interface UploadDatasetRequest__Output {
  'header'?: (_adq_v1_UploadHeader__Output | null);
  'chunk'?: (Buffer);
  'payload'?: "header"|"chunk";
}
