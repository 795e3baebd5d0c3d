// Original file: proto/adq/v1/common.proto

import type { ErrorReason as _adq_v1_ErrorReason, ErrorReason__Output as _adq_v1_ErrorReason__Output } from '../../adq/v1/ErrorReason';
import type { Stage as _adq_v1_Stage, Stage__Output as _adq_v1_Stage__Output } from '../../adq/v1/Stage';
import type { FieldViolation as _adq_v1_FieldViolation, FieldViolation__Output as _adq_v1_FieldViolation__Output } from '../../adq/v1/FieldViolation';
import type { BadFile as _adq_v1_BadFile, BadFile__Output as _adq_v1_BadFile__Output } from '../../adq/v1/BadFile';
import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { QuotaViolation as _adq_v1_QuotaViolation, QuotaViolation__Output as _adq_v1_QuotaViolation__Output } from '../../adq/v1/QuotaViolation';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../google/protobuf/Duration';
import type { Long } from '@grpc/proto-loader';

export interface ErrorDetails {
  'reason'?: (_adq_v1_ErrorReason);
  'message'?: (string);
  'code'?: (string);
  'stage'?: (_adq_v1_Stage);
  'fieldViolations'?: (_adq_v1_FieldViolation)[];
  'badFiles'?: (_adq_v1_BadFile)[];
  'badFilesTotal'?: (number | string | Long);
  'badFilesReport'?: (_adq_v1_ArtifactRef | null);
  'quota'?: (_adq_v1_QuotaViolation | null);
  'retryAfter'?: (_google_protobuf_Duration | null);
  'taskKey'?: (string);
  'attempts'?: (number);
}

export interface ErrorDetails__Output {
  'reason': (_adq_v1_ErrorReason__Output);
  'message': (string);
  'code': (string);
  'stage': (_adq_v1_Stage__Output);
  'fieldViolations': (_adq_v1_FieldViolation__Output)[];
  'badFiles': (_adq_v1_BadFile__Output)[];
  'badFilesTotal': (string);
  'badFilesReport': (_adq_v1_ArtifactRef__Output | null);
  'quota': (_adq_v1_QuotaViolation__Output | null);
  'retryAfter': (_google_protobuf_Duration__Output | null);
  'taskKey': (string);
  'attempts': (number);
}
