// Original file: proto/adq/v1/sampling.proto

import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from '../../adq/v1/TaskContext';
import type { QuantizedShard as _adq_v1_QuantizedShard, QuantizedShard__Output as _adq_v1_QuantizedShard__Output } from '../../adq/v1/QuantizedShard';
import type { ModelRef as _adq_v1_ModelRef, ModelRef__Output as _adq_v1_ModelRef__Output } from '../../adq/v1/ModelRef';

export interface ReconstructRequest {
  'task'?: (_adq_v1_TaskContext | null);
  'store'?: (_adq_v1_QuantizedShard | null);
  'maeModel'?: (_adq_v1_ModelRef | null);
  'className'?: (string);
  'outputSize'?: (number);
}

export interface ReconstructRequest__Output {
  'task': (_adq_v1_TaskContext__Output | null);
  'store': (_adq_v1_QuantizedShard__Output | null);
  'maeModel': (_adq_v1_ModelRef__Output | null);
  'className': (string);
  'outputSize': (number);
}
