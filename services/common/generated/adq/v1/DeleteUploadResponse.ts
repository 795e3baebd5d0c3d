// Original file: proto/adq/v1/compression_service.proto


export interface DeleteUploadResponse {
}

export interface DeleteUploadResponse__Output {
}
