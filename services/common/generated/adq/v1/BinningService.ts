// Original file: proto/adq/v1/binning.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BinClassRequest as _adq_v1_BinClassRequest, BinClassRequest__Output as _adq_v1_BinClassRequest__Output } from '../../adq/v1/BinClassRequest';
import type { BinClassResponse as _adq_v1_BinClassResponse, BinClassResponse__Output as _adq_v1_BinClassResponse__Output } from '../../adq/v1/BinClassResponse';

export interface BinningServiceClient extends grpc.Client {
  BinClass(argument: _adq_v1_BinClassRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_BinClassResponse__Output>): grpc.ClientUnaryCall;
  BinClass(argument: _adq_v1_BinClassRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_BinClassResponse__Output>): grpc.ClientUnaryCall;
  BinClass(argument: _adq_v1_BinClassRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_BinClassResponse__Output>): grpc.ClientUnaryCall;
  BinClass(argument: _adq_v1_BinClassRequest, callback: grpc.requestCallback<_adq_v1_BinClassResponse__Output>): grpc.ClientUnaryCall;
  binClass(argument: _adq_v1_BinClassRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_BinClassResponse__Output>): grpc.ClientUnaryCall;
  binClass(argument: _adq_v1_BinClassRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_BinClassResponse__Output>): grpc.ClientUnaryCall;
  binClass(argument: _adq_v1_BinClassRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_BinClassResponse__Output>): grpc.ClientUnaryCall;
  binClass(argument: _adq_v1_BinClassRequest, callback: grpc.requestCallback<_adq_v1_BinClassResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface BinningServiceHandlers extends grpc.UntypedServiceImplementation {
  BinClass: grpc.handleUnaryCall<_adq_v1_BinClassRequest__Output, _adq_v1_BinClassResponse>;
  
}

export interface BinningServiceDefinition extends grpc.ServiceDefinition {
  BinClass: MethodDefinition<_adq_v1_BinClassRequest, _adq_v1_BinClassResponse, _adq_v1_BinClassRequest__Output, _adq_v1_BinClassResponse__Output>
}
