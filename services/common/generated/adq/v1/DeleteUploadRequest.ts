// Original file: proto/adq/v1/compression_service.proto


export interface DeleteUploadRequest {
  'datasetUri'?: (string);
}

export interface DeleteUploadRequest__Output {
  'datasetUri': (string);
}
