// Original file: proto/adq/v1/common.proto

export const Method = {
  METHOD_UNSPECIFIED: 'METHOD_UNSPECIFIED',
  METHOD_ADQ: 'METHOD_ADQ',
  METHOD_DQ: 'METHOD_DQ',
  METHOD_RANDOM: 'METHOD_RANDOM',
  METHOD_CCS: 'METHOD_CCS',
  METHOD_ADQ_PAPER: 'METHOD_ADQ_PAPER',
} as const;

export type Method =
  | 'METHOD_UNSPECIFIED'
  | 0
  | 'METHOD_ADQ'
  | 1
  | 'METHOD_DQ'
  | 2
  | 'METHOD_RANDOM'
  | 3
  | 'METHOD_CCS'
  | 4
  | 'METHOD_ADQ_PAPER'
  | 5

export type Method__Output = typeof Method[keyof typeof Method]
