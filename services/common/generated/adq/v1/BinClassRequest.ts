// Original file: proto/adq/v1/binning.proto

import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from '../../adq/v1/TaskContext';
import type { FeatureArtifacts as _adq_v1_FeatureArtifacts, FeatureArtifacts__Output as _adq_v1_FeatureArtifacts__Output } from '../../adq/v1/FeatureArtifacts';

export interface BinClassRequest {
  'task'?: (_adq_v1_TaskContext | null);
  'features'?: (_adq_v1_FeatureArtifacts)[];
  'classIndex'?: (number);
  'bins'?: (number);
  'graphcutLambda'?: (number | string);
  'seed'?: (number);
}

export interface BinClassRequest__Output {
  'task': (_adq_v1_TaskContext__Output | null);
  'features': (_adq_v1_FeatureArtifacts__Output)[];
  'classIndex': (number);
  'bins': (number);
  'graphcutLambda': (number);
  'seed': (number);
}
