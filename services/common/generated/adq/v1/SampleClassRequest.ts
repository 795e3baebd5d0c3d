// Original file: proto/adq/v1/sampling.proto

import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from '../../adq/v1/TaskContext';
import type { ClassBins as _adq_v1_ClassBins, ClassBins__Output as _adq_v1_ClassBins__Output } from '../../adq/v1/ClassBins';
import type { Long } from '@grpc/proto-loader';

export interface SampleClassRequest {
  'task'?: (_adq_v1_TaskContext | null);
  'bins'?: (_adq_v1_ClassBins | null);
  'allocations'?: (number | string | Long)[];
  'seed'?: (number);
}

export interface SampleClassRequest__Output {
  'task': (_adq_v1_TaskContext__Output | null);
  'bins': (_adq_v1_ClassBins__Output | null);
  'allocations': (string)[];
  'seed': (number);
}
