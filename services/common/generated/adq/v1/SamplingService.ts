// Original file: proto/adq/v1/sampling.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AllocateRequest as _adq_v1_AllocateRequest, AllocateRequest__Output as _adq_v1_AllocateRequest__Output } from '../../adq/v1/AllocateRequest';
import type { AllocateResponse as _adq_v1_AllocateResponse, AllocateResponse__Output as _adq_v1_AllocateResponse__Output } from '../../adq/v1/AllocateResponse';
import type { DropPatchesRequest as _adq_v1_DropPatchesRequest, DropPatchesRequest__Output as _adq_v1_DropPatchesRequest__Output } from '../../adq/v1/DropPatchesRequest';
import type { DropPatchesResponse as _adq_v1_DropPatchesResponse, DropPatchesResponse__Output as _adq_v1_DropPatchesResponse__Output } from '../../adq/v1/DropPatchesResponse';
import type { ReconstructRequest as _adq_v1_ReconstructRequest, ReconstructRequest__Output as _adq_v1_ReconstructRequest__Output } from '../../adq/v1/ReconstructRequest';
import type { ReconstructResponse as _adq_v1_ReconstructResponse, ReconstructResponse__Output as _adq_v1_ReconstructResponse__Output } from '../../adq/v1/ReconstructResponse';
import type { SampleClassRequest as _adq_v1_SampleClassRequest, SampleClassRequest__Output as _adq_v1_SampleClassRequest__Output } from '../../adq/v1/SampleClassRequest';
import type { SampleClassResponse as _adq_v1_SampleClassResponse, SampleClassResponse__Output as _adq_v1_SampleClassResponse__Output } from '../../adq/v1/SampleClassResponse';

export interface SamplingServiceClient extends grpc.Client {
  Allocate(argument: _adq_v1_AllocateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_AllocateResponse__Output>): grpc.ClientUnaryCall;
  Allocate(argument: _adq_v1_AllocateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_AllocateResponse__Output>): grpc.ClientUnaryCall;
  Allocate(argument: _adq_v1_AllocateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_AllocateResponse__Output>): grpc.ClientUnaryCall;
  Allocate(argument: _adq_v1_AllocateRequest, callback: grpc.requestCallback<_adq_v1_AllocateResponse__Output>): grpc.ClientUnaryCall;
  allocate(argument: _adq_v1_AllocateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_AllocateResponse__Output>): grpc.ClientUnaryCall;
  allocate(argument: _adq_v1_AllocateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_AllocateResponse__Output>): grpc.ClientUnaryCall;
  allocate(argument: _adq_v1_AllocateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_AllocateResponse__Output>): grpc.ClientUnaryCall;
  allocate(argument: _adq_v1_AllocateRequest, callback: grpc.requestCallback<_adq_v1_AllocateResponse__Output>): grpc.ClientUnaryCall;
  
  DropPatches(argument: _adq_v1_DropPatchesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DropPatchesResponse__Output>): grpc.ClientUnaryCall;
  DropPatches(argument: _adq_v1_DropPatchesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_DropPatchesResponse__Output>): grpc.ClientUnaryCall;
  DropPatches(argument: _adq_v1_DropPatchesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DropPatchesResponse__Output>): grpc.ClientUnaryCall;
  DropPatches(argument: _adq_v1_DropPatchesRequest, callback: grpc.requestCallback<_adq_v1_DropPatchesResponse__Output>): grpc.ClientUnaryCall;
  dropPatches(argument: _adq_v1_DropPatchesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DropPatchesResponse__Output>): grpc.ClientUnaryCall;
  dropPatches(argument: _adq_v1_DropPatchesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_DropPatchesResponse__Output>): grpc.ClientUnaryCall;
  dropPatches(argument: _adq_v1_DropPatchesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DropPatchesResponse__Output>): grpc.ClientUnaryCall;
  dropPatches(argument: _adq_v1_DropPatchesRequest, callback: grpc.requestCallback<_adq_v1_DropPatchesResponse__Output>): grpc.ClientUnaryCall;
  
  Reconstruct(argument: _adq_v1_ReconstructRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ReconstructResponse__Output>): grpc.ClientUnaryCall;
  Reconstruct(argument: _adq_v1_ReconstructRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_ReconstructResponse__Output>): grpc.ClientUnaryCall;
  Reconstruct(argument: _adq_v1_ReconstructRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ReconstructResponse__Output>): grpc.ClientUnaryCall;
  Reconstruct(argument: _adq_v1_ReconstructRequest, callback: grpc.requestCallback<_adq_v1_ReconstructResponse__Output>): grpc.ClientUnaryCall;
  reconstruct(argument: _adq_v1_ReconstructRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ReconstructResponse__Output>): grpc.ClientUnaryCall;
  reconstruct(argument: _adq_v1_ReconstructRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_ReconstructResponse__Output>): grpc.ClientUnaryCall;
  reconstruct(argument: _adq_v1_ReconstructRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ReconstructResponse__Output>): grpc.ClientUnaryCall;
  reconstruct(argument: _adq_v1_ReconstructRequest, callback: grpc.requestCallback<_adq_v1_ReconstructResponse__Output>): grpc.ClientUnaryCall;
  
  SampleClass(argument: _adq_v1_SampleClassRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_SampleClassResponse__Output>): grpc.ClientUnaryCall;
  SampleClass(argument: _adq_v1_SampleClassRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_SampleClassResponse__Output>): grpc.ClientUnaryCall;
  SampleClass(argument: _adq_v1_SampleClassRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_SampleClassResponse__Output>): grpc.ClientUnaryCall;
  SampleClass(argument: _adq_v1_SampleClassRequest, callback: grpc.requestCallback<_adq_v1_SampleClassResponse__Output>): grpc.ClientUnaryCall;
  sampleClass(argument: _adq_v1_SampleClassRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_SampleClassResponse__Output>): grpc.ClientUnaryCall;
  sampleClass(argument: _adq_v1_SampleClassRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_SampleClassResponse__Output>): grpc.ClientUnaryCall;
  sampleClass(argument: _adq_v1_SampleClassRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_SampleClassResponse__Output>): grpc.ClientUnaryCall;
  sampleClass(argument: _adq_v1_SampleClassRequest, callback: grpc.requestCallback<_adq_v1_SampleClassResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface SamplingServiceHandlers extends grpc.UntypedServiceImplementation {
  Allocate: grpc.handleUnaryCall<_adq_v1_AllocateRequest__Output, _adq_v1_AllocateResponse>;
  
  DropPatches: grpc.handleUnaryCall<_adq_v1_DropPatchesRequest__Output, _adq_v1_DropPatchesResponse>;
  
  Reconstruct: grpc.handleUnaryCall<_adq_v1_ReconstructRequest__Output, _adq_v1_ReconstructResponse>;
  
  SampleClass: grpc.handleUnaryCall<_adq_v1_SampleClassRequest__Output, _adq_v1_SampleClassResponse>;
  
}

export interface SamplingServiceDefinition extends grpc.ServiceDefinition {
  Allocate: MethodDefinition<_adq_v1_AllocateRequest, _adq_v1_AllocateResponse, _adq_v1_AllocateRequest__Output, _adq_v1_AllocateResponse__Output>
  DropPatches: MethodDefinition<_adq_v1_DropPatchesRequest, _adq_v1_DropPatchesResponse, _adq_v1_DropPatchesRequest__Output, _adq_v1_DropPatchesResponse__Output>
  Reconstruct: MethodDefinition<_adq_v1_ReconstructRequest, _adq_v1_ReconstructResponse, _adq_v1_ReconstructRequest__Output, _adq_v1_ReconstructResponse__Output>
  SampleClass: MethodDefinition<_adq_v1_SampleClassRequest, _adq_v1_SampleClassResponse, _adq_v1_SampleClassRequest__Output, _adq_v1_SampleClassResponse__Output>
}
