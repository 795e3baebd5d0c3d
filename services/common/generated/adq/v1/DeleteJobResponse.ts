// Original file: proto/adq/v1/compression_service.proto


export interface DeleteJobResponse {
}

export interface DeleteJobResponse__Output {
}
