// Original file: proto/adq/v1/features.proto

import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from '../../adq/v1/TaskContext';
import type { DatasetRef as _adq_v1_DatasetRef, DatasetRef__Output as _adq_v1_DatasetRef__Output } from '../../adq/v1/DatasetRef';
import type { ShardRange as _adq_v1_ShardRange, ShardRange__Output as _adq_v1_ShardRange__Output } from '../../adq/v1/ShardRange';
import type { ModelRef as _adq_v1_ModelRef, ModelRef__Output as _adq_v1_ModelRef__Output } from '../../adq/v1/ModelRef';
import type { FeatureKind as _adq_v1_FeatureKind, FeatureKind__Output as _adq_v1_FeatureKind__Output } from '../../adq/v1/FeatureKind';

export interface ExtractFeaturesRequest {
  'task'?: (_adq_v1_TaskContext | null);
  'dataset'?: (_adq_v1_DatasetRef | null);
  'shard'?: (_adq_v1_ShardRange | null);
  'model'?: (_adq_v1_ModelRef | null);
  'outputs'?: (_adq_v1_FeatureKind)[];
  'texturePatchSize'?: (number);
  'skipBadFiles'?: (boolean);
  'batchSize'?: (number);
  'seed'?: (number);
}

export interface ExtractFeaturesRequest__Output {
  'task': (_adq_v1_TaskContext__Output | null);
  'dataset': (_adq_v1_DatasetRef__Output | null);
  'shard': (_adq_v1_ShardRange__Output | null);
  'model': (_adq_v1_ModelRef__Output | null);
  'outputs': (_adq_v1_FeatureKind__Output)[];
  'texturePatchSize': (number);
  'skipBadFiles': (boolean);
  'batchSize': (number);
  'seed': (number);
}
