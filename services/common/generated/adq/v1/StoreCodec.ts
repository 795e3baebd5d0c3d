// Original file: proto/adq/v1/common.proto

export const StoreCodec = {
  STORE_CODEC_UNSPECIFIED: 'STORE_CODEC_UNSPECIFIED',
  STORE_CODEC_WEBP: 'STORE_CODEC_WEBP',
  STORE_CODEC_WEBP_LOSSLESS: 'STORE_CODEC_WEBP_LOSSLESS',
  STORE_CODEC_RAW: 'STORE_CODEC_RAW',
} as const;

export type StoreCodec =
  | 'STORE_CODEC_UNSPECIFIED'
  | 0
  | 'STORE_CODEC_WEBP'
  | 1
  | 'STORE_CODEC_WEBP_LOSSLESS'
  | 2
  | 'STORE_CODEC_RAW'
  | 3

export type StoreCodec__Output = typeof StoreCodec[keyof typeof StoreCodec]
