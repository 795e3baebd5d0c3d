// Original file: proto/adq/v1/scoring.proto

import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from '../../adq/v1/TaskContext';
import type { DatasetRef as _adq_v1_DatasetRef, DatasetRef__Output as _adq_v1_DatasetRef__Output } from '../../adq/v1/DatasetRef';
import type { FeatureArtifacts as _adq_v1_FeatureArtifacts, FeatureArtifacts__Output as _adq_v1_FeatureArtifacts__Output } from '../../adq/v1/FeatureArtifacts';
import type { ClassBins as _adq_v1_ClassBins, ClassBins__Output as _adq_v1_ClassBins__Output } from '../../adq/v1/ClassBins';
import type { DiversityParams as _adq_v1_DiversityParams, DiversityParams__Output as _adq_v1_DiversityParams__Output } from '../../adq/v1/DiversityParams';
import type { ModelRef as _adq_v1_ModelRef, ModelRef__Output as _adq_v1_ModelRef__Output } from '../../adq/v1/ModelRef';

export interface ScoreBinRequest {
  'task'?: (_adq_v1_TaskContext | null);
  'dataset'?: (_adq_v1_DatasetRef | null);
  'features'?: (_adq_v1_FeatureArtifacts)[];
  'bins'?: (_adq_v1_ClassBins | null);
  'binIndex'?: (number);
  'diversity'?: (_adq_v1_DiversityParams | null);
  'model'?: (_adq_v1_ModelRef | null);
  'seed'?: (number);
  'skipDiversity'?: (boolean);
}

export interface ScoreBinRequest__Output {
  'task': (_adq_v1_TaskContext__Output | null);
  'dataset': (_adq_v1_DatasetRef__Output | null);
  'features': (_adq_v1_FeatureArtifacts__Output)[];
  'bins': (_adq_v1_ClassBins__Output | null);
  'binIndex': (number);
  'diversity': (_adq_v1_DiversityParams__Output | null);
  'model': (_adq_v1_ModelRef__Output | null);
  'seed': (number);
  'skipDiversity': (boolean);
}
