// Original file: proto/adq/v1/compression_service.proto

import type { Long } from '@grpc/proto-loader';

export interface DownloadResultRequest {
  'jobId'?: (string);
  'name'?: (string);
  'offset'?: (number | string | Long);
  'length'?: (number | string | Long);
  'chunkSize'?: (number);
}

export interface DownloadResultRequest__Output {
  'jobId': (string);
  'name': (string);
  'offset': (string);
  'length': (string);
  'chunkSize': (number);
}
