// Original file: proto/adq/v1/compression_service.proto

import type { ArtifactRef as _adq_v1_ArtifactRef, ArtifactRef__Output as _adq_v1_ArtifactRef__Output } from '../../adq/v1/ArtifactRef';
import type { ResultFile as _adq_v1_ResultFile, ResultFile__Output as _adq_v1_ResultFile__Output } from '../../adq/v1/ResultFile';
import type { ResultSummary as _adq_v1_ResultSummary, ResultSummary__Output as _adq_v1_ResultSummary__Output } from '../../adq/v1/ResultSummary';
import type { BinScore as _adq_v1_BinScore, BinScore__Output as _adq_v1_BinScore__Output } from '../../adq/v1/BinScore';

export interface JobResult {
  'jobId'?: (string);
  'manifest'?: (_adq_v1_ArtifactRef | null);
  'bins'?: (_adq_v1_ArtifactRef | null);
  'report'?: (_adq_v1_ArtifactRef | null);
  'store'?: (_adq_v1_ArtifactRef | null);
  'reconstructed'?: (_adq_v1_ArtifactRef | null);
  'files'?: (_adq_v1_ResultFile)[];
  'summary'?: (_adq_v1_ResultSummary | null);
  'binScores'?: (_adq_v1_BinScore)[];
}

export interface JobResult__Output {
  'jobId': (string);
  'manifest': (_adq_v1_ArtifactRef__Output | null);
  'bins': (_adq_v1_ArtifactRef__Output | null);
  'report': (_adq_v1_ArtifactRef__Output | null);
  'store': (_adq_v1_ArtifactRef__Output | null);
  'reconstructed': (_adq_v1_ArtifactRef__Output | null);
  'files': (_adq_v1_ResultFile__Output)[];
  'summary': (_adq_v1_ResultSummary__Output | null);
  'binScores': (_adq_v1_BinScore__Output)[];
}
