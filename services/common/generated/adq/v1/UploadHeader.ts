// Original file: proto/adq/v1/compression_service.proto

import type { DatasetFormat as _adq_v1_DatasetFormat, DatasetFormat__Output as _adq_v1_DatasetFormat__Output } from '../../adq/v1/DatasetFormat';
import type { ArchiveFormat as _adq_v1_ArchiveFormat, ArchiveFormat__Output as _adq_v1_ArchiveFormat__Output } from '../../adq/v1/ArchiveFormat';
import type { Long } from '@grpc/proto-loader';

export interface UploadHeader {
  'name'?: (string);
  'format'?: (_adq_v1_DatasetFormat);
  'archive'?: (_adq_v1_ArchiveFormat);
  'sizeBytes'?: (number | string | Long);
  'sha256'?: (string);
}

export interface UploadHeader__Output {
  'name': (string);
  'format': (_adq_v1_DatasetFormat__Output);
  'archive': (_adq_v1_ArchiveFormat__Output);
  'sizeBytes': (string);
  'sha256': (string);
}
