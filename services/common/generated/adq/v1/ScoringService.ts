// Original file: proto/adq/v1/scoring.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ScoreBinRequest as _adq_v1_ScoreBinRequest, ScoreBinRequest__Output as _adq_v1_ScoreBinRequest__Output } from '../../adq/v1/ScoreBinRequest';
import type { ScoreBinResponse as _adq_v1_ScoreBinResponse, ScoreBinResponse__Output as _adq_v1_ScoreBinResponse__Output } from '../../adq/v1/ScoreBinResponse';

export interface ScoringServiceClient extends grpc.Client {
  ScoreBin(argument: _adq_v1_ScoreBinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ScoreBinResponse__Output>): grpc.ClientUnaryCall;
  ScoreBin(argument: _adq_v1_ScoreBinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_ScoreBinResponse__Output>): grpc.ClientUnaryCall;
  ScoreBin(argument: _adq_v1_ScoreBinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ScoreBinResponse__Output>): grpc.ClientUnaryCall;
  ScoreBin(argument: _adq_v1_ScoreBinRequest, callback: grpc.requestCallback<_adq_v1_ScoreBinResponse__Output>): grpc.ClientUnaryCall;
  scoreBin(argument: _adq_v1_ScoreBinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ScoreBinResponse__Output>): grpc.ClientUnaryCall;
  scoreBin(argument: _adq_v1_ScoreBinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_ScoreBinResponse__Output>): grpc.ClientUnaryCall;
  scoreBin(argument: _adq_v1_ScoreBinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ScoreBinResponse__Output>): grpc.ClientUnaryCall;
  scoreBin(argument: _adq_v1_ScoreBinRequest, callback: grpc.requestCallback<_adq_v1_ScoreBinResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ScoringServiceHandlers extends grpc.UntypedServiceImplementation {
  ScoreBin: grpc.handleUnaryCall<_adq_v1_ScoreBinRequest__Output, _adq_v1_ScoreBinResponse>;
  
}

export interface ScoringServiceDefinition extends grpc.ServiceDefinition {
  ScoreBin: MethodDefinition<_adq_v1_ScoreBinRequest, _adq_v1_ScoreBinResponse, _adq_v1_ScoreBinRequest__Output, _adq_v1_ScoreBinResponse__Output>
}
