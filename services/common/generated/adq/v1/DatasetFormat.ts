// Original file: proto/adq/v1/common.proto

export const DatasetFormat = {
  DATASET_FORMAT_UNSPECIFIED: 'DATASET_FORMAT_UNSPECIFIED',
  DATASET_FORMAT_IMAGE_FOLDER: 'DATASET_FORMAT_IMAGE_FOLDER',
  DATASET_FORMAT_CIFAR10_BINARY: 'DATASET_FORMAT_CIFAR10_BINARY',
} as const;

export type DatasetFormat =
  | 'DATASET_FORMAT_UNSPECIFIED'
  | 0
  | 'DATASET_FORMAT_IMAGE_FOLDER'
  | 1
  | 'DATASET_FORMAT_CIFAR10_BINARY'
  | 2

export type DatasetFormat__Output = typeof DatasetFormat[keyof typeof DatasetFormat]
