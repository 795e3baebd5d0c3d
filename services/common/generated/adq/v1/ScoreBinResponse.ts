// Original file: proto/adq/v1/scoring.proto

import type { BinScore as _adq_v1_BinScore, BinScore__Output as _adq_v1_BinScore__Output } from '../../adq/v1/BinScore';
import type { ScoreDiagnostics as _adq_v1_ScoreDiagnostics, ScoreDiagnostics__Output as _adq_v1_ScoreDiagnostics__Output } from '../../adq/v1/ScoreDiagnostics';

export interface ScoreBinResponse {
  'score'?: (_adq_v1_BinScore | null);
  'diagnostics'?: (_adq_v1_ScoreDiagnostics | null);
  'reused'?: (boolean);
}

export interface ScoreBinResponse__Output {
  'score': (_adq_v1_BinScore__Output | null);
  'diagnostics': (_adq_v1_ScoreDiagnostics__Output | null);
  'reused': (boolean);
}
