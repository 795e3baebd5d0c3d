// Original file: proto/adq/v1/common.proto

export const DiversityMethod = {
  DIVERSITY_METHOD_UNSPECIFIED: 'DIVERSITY_METHOD_UNSPECIFIED',
  DIVERSITY_METHOD_CONTRASTIVE: 'DIVERSITY_METHOD_CONTRASTIVE',
  DIVERSITY_METHOD_UNTRAINED_HEAD: 'DIVERSITY_METHOD_UNTRAINED_HEAD',
} as const;

export type DiversityMethod =
  | 'DIVERSITY_METHOD_UNSPECIFIED'
  | 0
  | 'DIVERSITY_METHOD_CONTRASTIVE'
  | 1
  | 'DIVERSITY_METHOD_UNTRAINED_HEAD'
  | 2

export type DiversityMethod__Output = typeof DiversityMethod[keyof typeof DiversityMethod]
