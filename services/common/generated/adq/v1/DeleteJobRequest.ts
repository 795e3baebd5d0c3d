// Original file: proto/adq/v1/compression_service.proto


export interface DeleteJobRequest {
  'jobId'?: (string);
}

export interface DeleteJobRequest__Output {
  'jobId': (string);
}
