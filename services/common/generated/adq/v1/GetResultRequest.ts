// Original file: proto/adq/v1/compression_service.proto


export interface GetResultRequest {
  'jobId'?: (string);
}

export interface GetResultRequest__Output {
  'jobId': (string);
}
