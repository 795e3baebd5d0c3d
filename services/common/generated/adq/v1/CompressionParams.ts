// Original file: proto/adq/v1/common.proto

import type { PatchGrid as _adq_v1_PatchGrid, PatchGrid__Output as _adq_v1_PatchGrid__Output } from '../../adq/v1/PatchGrid';
import type { Method as _adq_v1_Method, Method__Output as _adq_v1_Method__Output } from '../../adq/v1/Method';
import type { DiversityParams as _adq_v1_DiversityParams, DiversityParams__Output as _adq_v1_DiversityParams__Output } from '../../adq/v1/DiversityParams';
import type { ModelRef as _adq_v1_ModelRef, ModelRef__Output as _adq_v1_ModelRef__Output } from '../../adq/v1/ModelRef';
import type { StoreCodec as _adq_v1_StoreCodec, StoreCodec__Output as _adq_v1_StoreCodec__Output } from '../../adq/v1/StoreCodec';

export interface CompressionParams {
  'ratio'?: (number | string);
  'bins'?: (number);
  'alpha'?: (number | string);
  'dropRatio'?: (number | string);
  'patchGrid'?: (_adq_v1_PatchGrid | null);
  'seed'?: (number);
  'method'?: (_adq_v1_Method);
  'graphcutLambda'?: (number | string);
  'texturePatchSize'?: (number);
  'diversity'?: (_adq_v1_DiversityParams | null);
  'rsWeight'?: (number | string);
  'dsWeight'?: (number | string);
  'model'?: (_adq_v1_ModelRef | null);
  'maeModel'?: (_adq_v1_ModelRef | null);
  'skipBadFiles'?: (boolean);
  'allocationStrength'?: (number | string);
  'storeCodec'?: (_adq_v1_StoreCodec);
  'storeQuality'?: (number);
  'ccsBeta'?: (number | string);
  'ccsStrata'?: (number);
  'adqBeta'?: (number | string);
  'adqStrata'?: (number);
  '_bins'?: "bins";
  '_alpha'?: "alpha";
  '_dropRatio'?: "dropRatio";
  '_graphcutLambda'?: "graphcutLambda";
  '_texturePatchSize'?: "texturePatchSize";
  '_rsWeight'?: "rsWeight";
  '_dsWeight'?: "dsWeight";
  '_allocationStrength'?: "allocationStrength";
  '_storeQuality'?: "storeQuality";
  '_ccsBeta'?: "ccsBeta";
  '_ccsStrata'?: "ccsStrata";
  '_adqBeta'?: "adqBeta";
  '_adqStrata'?: "adqStrata";
}

export interface CompressionParams__Output {
  'ratio': (number);
  'bins'?: (number);
  'alpha'?: (number);
  'dropRatio'?: (number);
  'patchGrid': (_adq_v1_PatchGrid__Output | null);
  'seed': (number);
  'method': (_adq_v1_Method__Output);
  'graphcutLambda'?: (number);
  'texturePatchSize'?: (number);
  'diversity': (_adq_v1_DiversityParams__Output | null);
  'rsWeight'?: (number);
  'dsWeight'?: (number);
  'model': (_adq_v1_ModelRef__Output | null);
  'maeModel': (_adq_v1_ModelRef__Output | null);
  'skipBadFiles': (boolean);
  'allocationStrength'?: (number);
  'storeCodec': (_adq_v1_StoreCodec__Output);
  'storeQuality'?: (number);
  'ccsBeta'?: (number);
  'ccsStrata'?: (number);
  'adqBeta'?: (number);
  'adqStrata'?: (number);
  '_bins'?: "bins";
  '_alpha'?: "alpha";
  '_dropRatio'?: "dropRatio";
  '_graphcutLambda'?: "graphcutLambda";
  '_texturePatchSize'?: "texturePatchSize";
  '_rsWeight'?: "rsWeight";
  '_dsWeight'?: "dsWeight";
  '_allocationStrength'?: "allocationStrength";
  '_storeQuality'?: "storeQuality";
  '_ccsBeta'?: "ccsBeta";
  '_ccsStrata'?: "ccsStrata";
  '_adqBeta'?: "adqBeta";
  '_adqStrata'?: "adqStrata";
}
