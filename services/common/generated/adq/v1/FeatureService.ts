// Original file: proto/adq/v1/features.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ExtractFeaturesRequest as _adq_v1_ExtractFeaturesRequest, ExtractFeaturesRequest__Output as _adq_v1_ExtractFeaturesRequest__Output } from '../../adq/v1/ExtractFeaturesRequest';
import type { ExtractFeaturesResponse as _adq_v1_ExtractFeaturesResponse, ExtractFeaturesResponse__Output as _adq_v1_ExtractFeaturesResponse__Output } from '../../adq/v1/ExtractFeaturesResponse';

export interface FeatureServiceClient extends grpc.Client {
  ExtractFeatures(argument: _adq_v1_ExtractFeaturesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ExtractFeaturesResponse__Output>): grpc.ClientUnaryCall;
  ExtractFeatures(argument: _adq_v1_ExtractFeaturesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_ExtractFeaturesResponse__Output>): grpc.ClientUnaryCall;
  ExtractFeatures(argument: _adq_v1_ExtractFeaturesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ExtractFeaturesResponse__Output>): grpc.ClientUnaryCall;
  ExtractFeatures(argument: _adq_v1_ExtractFeaturesRequest, callback: grpc.requestCallback<_adq_v1_ExtractFeaturesResponse__Output>): grpc.ClientUnaryCall;
  extractFeatures(argument: _adq_v1_ExtractFeaturesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ExtractFeaturesResponse__Output>): grpc.ClientUnaryCall;
  extractFeatures(argument: _adq_v1_ExtractFeaturesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_ExtractFeaturesResponse__Output>): grpc.ClientUnaryCall;
  extractFeatures(argument: _adq_v1_ExtractFeaturesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ExtractFeaturesResponse__Output>): grpc.ClientUnaryCall;
  extractFeatures(argument: _adq_v1_ExtractFeaturesRequest, callback: grpc.requestCallback<_adq_v1_ExtractFeaturesResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface FeatureServiceHandlers extends grpc.UntypedServiceImplementation {
  ExtractFeatures: grpc.handleUnaryCall<_adq_v1_ExtractFeaturesRequest__Output, _adq_v1_ExtractFeaturesResponse>;
  
}

export interface FeatureServiceDefinition extends grpc.ServiceDefinition {
  ExtractFeatures: MethodDefinition<_adq_v1_ExtractFeaturesRequest, _adq_v1_ExtractFeaturesResponse, _adq_v1_ExtractFeaturesRequest__Output, _adq_v1_ExtractFeaturesResponse__Output>
}
