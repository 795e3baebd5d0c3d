// Original file: proto/adq/v1/compression_service.proto

import type { DatasetRef as _adq_v1_DatasetRef, DatasetRef__Output as _adq_v1_DatasetRef__Output } from '../../adq/v1/DatasetRef';
import type { CompressionParams as _adq_v1_CompressionParams, CompressionParams__Output as _adq_v1_CompressionParams__Output } from '../../adq/v1/CompressionParams';
import type { OutputOptions as _adq_v1_OutputOptions, OutputOptions__Output as _adq_v1_OutputOptions__Output } from '../../adq/v1/OutputOptions';

export interface CreateJobRequest {
  'dataset'?: (_adq_v1_DatasetRef | null);
  'params'?: (_adq_v1_CompressionParams | null);
  'idempotencyKey'?: (string);
  'outputs'?: (_adq_v1_OutputOptions | null);
  'displayName'?: (string);
  'labels'?: ({[key: string]: string});
  'validateOnly'?: (boolean);
}

export interface CreateJobRequest__Output {
  'dataset': (_adq_v1_DatasetRef__Output | null);
  'params': (_adq_v1_CompressionParams__Output | null);
  'idempotencyKey': (string);
  'outputs': (_adq_v1_OutputOptions__Output | null);
  'displayName': (string);
  'labels': ({[key: string]: string});
  'validateOnly': (boolean);
}
