// Original file: proto/adq/v1/compression_service.proto

import type { JobState as _adq_v1_JobState, JobState__Output as _adq_v1_JobState__Output } from '../../adq/v1/JobState';
import type { ErrorDetails as _adq_v1_ErrorDetails, ErrorDetails__Output as _adq_v1_ErrorDetails__Output } from '../../adq/v1/ErrorDetails';
import type { ResultSummary as _adq_v1_ResultSummary, ResultSummary__Output as _adq_v1_ResultSummary__Output } from '../../adq/v1/ResultSummary';

export interface JobTerminal {
  'state'?: (_adq_v1_JobState);
  'error'?: (_adq_v1_ErrorDetails | null);
  'summary'?: (_adq_v1_ResultSummary | null);
}

export interface JobTerminal__Output {
  'state': (_adq_v1_JobState__Output);
  'error': (_adq_v1_ErrorDetails__Output | null);
  'summary': (_adq_v1_ResultSummary__Output | null);
}
