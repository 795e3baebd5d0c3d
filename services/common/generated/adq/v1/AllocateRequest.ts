// Original file: proto/adq/v1/sampling.proto

import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from '../../adq/v1/TaskContext';
import type { BinScore as _adq_v1_BinScore, BinScore__Output as _adq_v1_BinScore__Output } from '../../adq/v1/BinScore';
import type { Method as _adq_v1_Method, Method__Output as _adq_v1_Method__Output } from '../../adq/v1/Method';

export interface AllocateRequest {
  'task'?: (_adq_v1_TaskContext | null);
  'bins'?: (_adq_v1_BinScore)[];
  'ratio'?: (number | string);
  'alpha'?: (number | string);
  'rsWeight'?: (number | string);
  'dsWeight'?: (number | string);
  'method'?: (_adq_v1_Method);
  'allocationStrength'?: (number | string);
  '_allocationStrength'?: "allocationStrength";
}

export interface AllocateRequest__Output {
  'task': (_adq_v1_TaskContext__Output | null);
  'bins': (_adq_v1_BinScore__Output)[];
  'ratio': (number);
  'alpha': (number);
  'rsWeight': (number);
  'dsWeight': (number);
  'method': (_adq_v1_Method__Output);
  'allocationStrength'?: (number);
  '_allocationStrength'?: "allocationStrength";
}
