// Original file: proto/adq/v1/compression_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelJobRequest as _adq_v1_CancelJobRequest, CancelJobRequest__Output as _adq_v1_CancelJobRequest__Output } from '../../adq/v1/CancelJobRequest';
import type { CreateJobRequest as _adq_v1_CreateJobRequest, CreateJobRequest__Output as _adq_v1_CreateJobRequest__Output } from '../../adq/v1/CreateJobRequest';
import type { CreateJobResponse as _adq_v1_CreateJobResponse, CreateJobResponse__Output as _adq_v1_CreateJobResponse__Output } from '../../adq/v1/CreateJobResponse';
import type { DeleteJobRequest as _adq_v1_DeleteJobRequest, DeleteJobRequest__Output as _adq_v1_DeleteJobRequest__Output } from '../../adq/v1/DeleteJobRequest';
import type { DeleteJobResponse as _adq_v1_DeleteJobResponse, DeleteJobResponse__Output as _adq_v1_DeleteJobResponse__Output } from '../../adq/v1/DeleteJobResponse';
import type { DeleteUploadRequest as _adq_v1_DeleteUploadRequest, DeleteUploadRequest__Output as _adq_v1_DeleteUploadRequest__Output } from '../../adq/v1/DeleteUploadRequest';
import type { DeleteUploadResponse as _adq_v1_DeleteUploadResponse, DeleteUploadResponse__Output as _adq_v1_DeleteUploadResponse__Output } from '../../adq/v1/DeleteUploadResponse';
import type { DownloadResultChunk as _adq_v1_DownloadResultChunk, DownloadResultChunk__Output as _adq_v1_DownloadResultChunk__Output } from '../../adq/v1/DownloadResultChunk';
import type { DownloadResultRequest as _adq_v1_DownloadResultRequest, DownloadResultRequest__Output as _adq_v1_DownloadResultRequest__Output } from '../../adq/v1/DownloadResultRequest';
import type { GetJobRequest as _adq_v1_GetJobRequest, GetJobRequest__Output as _adq_v1_GetJobRequest__Output } from '../../adq/v1/GetJobRequest';
import type { GetResultRequest as _adq_v1_GetResultRequest, GetResultRequest__Output as _adq_v1_GetResultRequest__Output } from '../../adq/v1/GetResultRequest';
import type { Job as _adq_v1_Job, Job__Output as _adq_v1_Job__Output } from '../../adq/v1/Job';
import type { JobEvent as _adq_v1_JobEvent, JobEvent__Output as _adq_v1_JobEvent__Output } from '../../adq/v1/JobEvent';
import type { JobResult as _adq_v1_JobResult, JobResult__Output as _adq_v1_JobResult__Output } from '../../adq/v1/JobResult';
import type { ListJobsRequest as _adq_v1_ListJobsRequest, ListJobsRequest__Output as _adq_v1_ListJobsRequest__Output } from '../../adq/v1/ListJobsRequest';
import type { ListJobsResponse as _adq_v1_ListJobsResponse, ListJobsResponse__Output as _adq_v1_ListJobsResponse__Output } from '../../adq/v1/ListJobsResponse';
import type { UploadDatasetRequest as _adq_v1_UploadDatasetRequest, UploadDatasetRequest__Output as _adq_v1_UploadDatasetRequest__Output } from '../../adq/v1/UploadDatasetRequest';
import type { UploadDatasetResponse as _adq_v1_UploadDatasetResponse, UploadDatasetResponse__Output as _adq_v1_UploadDatasetResponse__Output } from '../../adq/v1/UploadDatasetResponse';
import type { WatchJobRequest as _adq_v1_WatchJobRequest, WatchJobRequest__Output as _adq_v1_WatchJobRequest__Output } from '../../adq/v1/WatchJobRequest';

export interface CompressionServiceClient extends grpc.Client {
  CancelJob(argument: _adq_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _adq_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _adq_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _adq_v1_CancelJobRequest, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _adq_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _adq_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _adq_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _adq_v1_CancelJobRequest, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  
  CreateJob(argument: _adq_v1_CreateJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_CreateJobResponse__Output>): grpc.ClientUnaryCall;
  CreateJob(argument: _adq_v1_CreateJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_CreateJobResponse__Output>): grpc.ClientUnaryCall;
  CreateJob(argument: _adq_v1_CreateJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_CreateJobResponse__Output>): grpc.ClientUnaryCall;
  CreateJob(argument: _adq_v1_CreateJobRequest, callback: grpc.requestCallback<_adq_v1_CreateJobResponse__Output>): grpc.ClientUnaryCall;
  createJob(argument: _adq_v1_CreateJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_CreateJobResponse__Output>): grpc.ClientUnaryCall;
  createJob(argument: _adq_v1_CreateJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_CreateJobResponse__Output>): grpc.ClientUnaryCall;
  createJob(argument: _adq_v1_CreateJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_CreateJobResponse__Output>): grpc.ClientUnaryCall;
  createJob(argument: _adq_v1_CreateJobRequest, callback: grpc.requestCallback<_adq_v1_CreateJobResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteJob(argument: _adq_v1_DeleteJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DeleteJobResponse__Output>): grpc.ClientUnaryCall;
  DeleteJob(argument: _adq_v1_DeleteJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_DeleteJobResponse__Output>): grpc.ClientUnaryCall;
  DeleteJob(argument: _adq_v1_DeleteJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DeleteJobResponse__Output>): grpc.ClientUnaryCall;
  DeleteJob(argument: _adq_v1_DeleteJobRequest, callback: grpc.requestCallback<_adq_v1_DeleteJobResponse__Output>): grpc.ClientUnaryCall;
  deleteJob(argument: _adq_v1_DeleteJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DeleteJobResponse__Output>): grpc.ClientUnaryCall;
  deleteJob(argument: _adq_v1_DeleteJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_DeleteJobResponse__Output>): grpc.ClientUnaryCall;
  deleteJob(argument: _adq_v1_DeleteJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DeleteJobResponse__Output>): grpc.ClientUnaryCall;
  deleteJob(argument: _adq_v1_DeleteJobRequest, callback: grpc.requestCallback<_adq_v1_DeleteJobResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteUpload(argument: _adq_v1_DeleteUploadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DeleteUploadResponse__Output>): grpc.ClientUnaryCall;
  DeleteUpload(argument: _adq_v1_DeleteUploadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_DeleteUploadResponse__Output>): grpc.ClientUnaryCall;
  DeleteUpload(argument: _adq_v1_DeleteUploadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DeleteUploadResponse__Output>): grpc.ClientUnaryCall;
  DeleteUpload(argument: _adq_v1_DeleteUploadRequest, callback: grpc.requestCallback<_adq_v1_DeleteUploadResponse__Output>): grpc.ClientUnaryCall;
  deleteUpload(argument: _adq_v1_DeleteUploadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DeleteUploadResponse__Output>): grpc.ClientUnaryCall;
  deleteUpload(argument: _adq_v1_DeleteUploadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_DeleteUploadResponse__Output>): grpc.ClientUnaryCall;
  deleteUpload(argument: _adq_v1_DeleteUploadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_DeleteUploadResponse__Output>): grpc.ClientUnaryCall;
  deleteUpload(argument: _adq_v1_DeleteUploadRequest, callback: grpc.requestCallback<_adq_v1_DeleteUploadResponse__Output>): grpc.ClientUnaryCall;
  
  DownloadResult(argument: _adq_v1_DownloadResultRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_adq_v1_DownloadResultChunk__Output>;
  DownloadResult(argument: _adq_v1_DownloadResultRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_adq_v1_DownloadResultChunk__Output>;
  downloadResult(argument: _adq_v1_DownloadResultRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_adq_v1_DownloadResultChunk__Output>;
  downloadResult(argument: _adq_v1_DownloadResultRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_adq_v1_DownloadResultChunk__Output>;
  
  GetJob(argument: _adq_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _adq_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _adq_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _adq_v1_GetJobRequest, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _adq_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _adq_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _adq_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _adq_v1_GetJobRequest, callback: grpc.requestCallback<_adq_v1_Job__Output>): grpc.ClientUnaryCall;
  
  GetResult(argument: _adq_v1_GetResultRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_JobResult__Output>): grpc.ClientUnaryCall;
  GetResult(argument: _adq_v1_GetResultRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_JobResult__Output>): grpc.ClientUnaryCall;
  GetResult(argument: _adq_v1_GetResultRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_JobResult__Output>): grpc.ClientUnaryCall;
  GetResult(argument: _adq_v1_GetResultRequest, callback: grpc.requestCallback<_adq_v1_JobResult__Output>): grpc.ClientUnaryCall;
  getResult(argument: _adq_v1_GetResultRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_JobResult__Output>): grpc.ClientUnaryCall;
  getResult(argument: _adq_v1_GetResultRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_JobResult__Output>): grpc.ClientUnaryCall;
  getResult(argument: _adq_v1_GetResultRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_JobResult__Output>): grpc.ClientUnaryCall;
  getResult(argument: _adq_v1_GetResultRequest, callback: grpc.requestCallback<_adq_v1_JobResult__Output>): grpc.ClientUnaryCall;
  
  ListJobs(argument: _adq_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _adq_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _adq_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _adq_v1_ListJobsRequest, callback: grpc.requestCallback<_adq_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _adq_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _adq_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _adq_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _adq_v1_ListJobsRequest, callback: grpc.requestCallback<_adq_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  
  UploadDataset(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_UploadDatasetResponse__Output>): grpc.ClientWritableStream<_adq_v1_UploadDatasetRequest>;
  UploadDataset(metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_UploadDatasetResponse__Output>): grpc.ClientWritableStream<_adq_v1_UploadDatasetRequest>;
  UploadDataset(options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_UploadDatasetResponse__Output>): grpc.ClientWritableStream<_adq_v1_UploadDatasetRequest>;
  UploadDataset(callback: grpc.requestCallback<_adq_v1_UploadDatasetResponse__Output>): grpc.ClientWritableStream<_adq_v1_UploadDatasetRequest>;
  uploadDataset(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_UploadDatasetResponse__Output>): grpc.ClientWritableStream<_adq_v1_UploadDatasetRequest>;
  uploadDataset(metadata: grpc.Metadata, callback: grpc.requestCallback<_adq_v1_UploadDatasetResponse__Output>): grpc.ClientWritableStream<_adq_v1_UploadDatasetRequest>;
  uploadDataset(options: grpc.CallOptions, callback: grpc.requestCallback<_adq_v1_UploadDatasetResponse__Output>): grpc.ClientWritableStream<_adq_v1_UploadDatasetRequest>;
  uploadDataset(callback: grpc.requestCallback<_adq_v1_UploadDatasetResponse__Output>): grpc.ClientWritableStream<_adq_v1_UploadDatasetRequest>;
  
  WatchJob(argument: _adq_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_adq_v1_JobEvent__Output>;
  WatchJob(argument: _adq_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_adq_v1_JobEvent__Output>;
  watchJob(argument: _adq_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_adq_v1_JobEvent__Output>;
  watchJob(argument: _adq_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_adq_v1_JobEvent__Output>;
  
}

export interface CompressionServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelJob: grpc.handleUnaryCall<_adq_v1_CancelJobRequest__Output, _adq_v1_Job>;
  
  CreateJob: grpc.handleUnaryCall<_adq_v1_CreateJobRequest__Output, _adq_v1_CreateJobResponse>;
  
  DeleteJob: grpc.handleUnaryCall<_adq_v1_DeleteJobRequest__Output, _adq_v1_DeleteJobResponse>;
  
  DeleteUpload: grpc.handleUnaryCall<_adq_v1_DeleteUploadRequest__Output, _adq_v1_DeleteUploadResponse>;
  
  DownloadResult: grpc.handleServerStreamingCall<_adq_v1_DownloadResultRequest__Output, _adq_v1_DownloadResultChunk>;
  
  GetJob: grpc.handleUnaryCall<_adq_v1_GetJobRequest__Output, _adq_v1_Job>;
  
  GetResult: grpc.handleUnaryCall<_adq_v1_GetResultRequest__Output, _adq_v1_JobResult>;
  
  ListJobs: grpc.handleUnaryCall<_adq_v1_ListJobsRequest__Output, _adq_v1_ListJobsResponse>;
  
  UploadDataset: grpc.handleClientStreamingCall<_adq_v1_UploadDatasetRequest__Output, _adq_v1_UploadDatasetResponse>;
  
  WatchJob: grpc.handleServerStreamingCall<_adq_v1_WatchJobRequest__Output, _adq_v1_JobEvent>;
  
}

export interface CompressionServiceDefinition extends grpc.ServiceDefinition {
  CancelJob: MethodDefinition<_adq_v1_CancelJobRequest, _adq_v1_Job, _adq_v1_CancelJobRequest__Output, _adq_v1_Job__Output>
  CreateJob: MethodDefinition<_adq_v1_CreateJobRequest, _adq_v1_CreateJobResponse, _adq_v1_CreateJobRequest__Output, _adq_v1_CreateJobResponse__Output>
  DeleteJob: MethodDefinition<_adq_v1_DeleteJobRequest, _adq_v1_DeleteJobResponse, _adq_v1_DeleteJobRequest__Output, _adq_v1_DeleteJobResponse__Output>
  DeleteUpload: MethodDefinition<_adq_v1_DeleteUploadRequest, _adq_v1_DeleteUploadResponse, _adq_v1_DeleteUploadRequest__Output, _adq_v1_DeleteUploadResponse__Output>
  DownloadResult: MethodDefinition<_adq_v1_DownloadResultRequest, _adq_v1_DownloadResultChunk, _adq_v1_DownloadResultRequest__Output, _adq_v1_DownloadResultChunk__Output>
  GetJob: MethodDefinition<_adq_v1_GetJobRequest, _adq_v1_Job, _adq_v1_GetJobRequest__Output, _adq_v1_Job__Output>
  GetResult: MethodDefinition<_adq_v1_GetResultRequest, _adq_v1_JobResult, _adq_v1_GetResultRequest__Output, _adq_v1_JobResult__Output>
  ListJobs: MethodDefinition<_adq_v1_ListJobsRequest, _adq_v1_ListJobsResponse, _adq_v1_ListJobsRequest__Output, _adq_v1_ListJobsResponse__Output>
  UploadDataset: MethodDefinition<_adq_v1_UploadDatasetRequest, _adq_v1_UploadDatasetResponse, _adq_v1_UploadDatasetRequest__Output, _adq_v1_UploadDatasetResponse__Output>
  WatchJob: MethodDefinition<_adq_v1_WatchJobRequest, _adq_v1_JobEvent, _adq_v1_WatchJobRequest__Output, _adq_v1_JobEvent__Output>
}
