// Original file: proto/adq/v1/compression_service.proto

export const ArchiveFormat = {
  ARCHIVE_FORMAT_UNSPECIFIED: 'ARCHIVE_FORMAT_UNSPECIFIED',
  ARCHIVE_FORMAT_TAR: 'ARCHIVE_FORMAT_TAR',
  ARCHIVE_FORMAT_TAR_GZIP: 'ARCHIVE_FORMAT_TAR_GZIP',
} as const;

export type ArchiveFormat =
  | 'ARCHIVE_FORMAT_UNSPECIFIED'
  | 0
  | 'ARCHIVE_FORMAT_TAR'
  | 1
  | 'ARCHIVE_FORMAT_TAR_GZIP'
  | 2

export type ArchiveFormat__Output = typeof ArchiveFormat[keyof typeof ArchiveFormat]
