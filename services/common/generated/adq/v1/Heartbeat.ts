// Original file: proto/adq/v1/compression_service.proto


export interface Heartbeat {
}

export interface Heartbeat__Output {
}
