// Original file: proto/adq/v1/compression_service.proto

import type { Stage as _adq_v1_Stage, Stage__Output as _adq_v1_Stage__Output } from '../../adq/v1/Stage';
import type { BadFile as _adq_v1_BadFile, BadFile__Output as _adq_v1_BadFile__Output } from '../../adq/v1/BadFile';

export interface JobWarning {
  'stage'?: (_adq_v1_Stage);
  'message'?: (string);
  'badFiles'?: (_adq_v1_BadFile)[];
}

export interface JobWarning__Output {
  'stage': (_adq_v1_Stage__Output);
  'message': (string);
  'badFiles': (_adq_v1_BadFile__Output)[];
}
