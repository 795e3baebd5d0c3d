// Original file: proto/adq/v1/sampling.proto

import type { TaskContext as _adq_v1_TaskContext, TaskContext__Output as _adq_v1_TaskContext__Output } from '../../adq/v1/TaskContext';
import type { DatasetRef as _adq_v1_DatasetRef, DatasetRef__Output as _adq_v1_DatasetRef__Output } from '../../adq/v1/DatasetRef';
import type { ClassSelection as _adq_v1_ClassSelection, ClassSelection__Output as _adq_v1_ClassSelection__Output } from '../../adq/v1/ClassSelection';
import type { ModelRef as _adq_v1_ModelRef, ModelRef__Output as _adq_v1_ModelRef__Output } from '../../adq/v1/ModelRef';
import type { PatchGrid as _adq_v1_PatchGrid, PatchGrid__Output as _adq_v1_PatchGrid__Output } from '../../adq/v1/PatchGrid';

export interface DropPatchesRequest {
  'task'?: (_adq_v1_TaskContext | null);
  'dataset'?: (_adq_v1_DatasetRef | null);
  'selection'?: (_adq_v1_ClassSelection | null);
  'model'?: (_adq_v1_ModelRef | null);
  'patchGrid'?: (_adq_v1_PatchGrid | null);
  'dropRatio'?: (number | string);
  'skipBadFiles'?: (boolean);
}

export interface DropPatchesRequest__Output {
  'task': (_adq_v1_TaskContext__Output | null);
  'dataset': (_adq_v1_DatasetRef__Output | null);
  'selection': (_adq_v1_ClassSelection__Output | null);
  'model': (_adq_v1_ModelRef__Output | null);
  'patchGrid': (_adq_v1_PatchGrid__Output | null);
  'dropRatio': (number);
  'skipBadFiles': (boolean);
}
