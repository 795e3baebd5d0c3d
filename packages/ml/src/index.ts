// @adq/ml — the ML runtime: dataset readers, image decoding, preprocessing, seeded
// augmentations, and ONNX Runtime model sessions. Depends on core only.
export { contrastiveView, DEFAULT_VIEW_AUGMENT } from "./augment.ts";
export { CIFAR10_CLASSES, Cifar10BinaryReader, encodeCifarRecord } from "./cifar10-binary.ts";
export {
  type DatasetDescription,
  DatasetError,
  type DatasetFormat,
  type DatasetReader,
  encodedBytes,
  openDataset,
} from "./dataset.ts";
export { BadImageError, defaultMaxFileBytes, readImageBytes, resizeRaster } from "./decode.ts";
export { FeatureModel, type FeatureOutputs, RUN_PIXELS, runBatch, runSideFor } from "./feature-model.ts";
export { IMAGE_EXTENSIONS, ImageFolderReader, isImageFileName, scanImageFolder } from "./image-folder.ts";
export { MaeModel } from "./mae-model.ts";
export {
  EXECUTION_PROVIDERS,
  type ExecutionProvider,
  ModelContractError,
  type SessionConfig,
} from "./model-contract.ts";
export { readOnnxMetadata } from "./onnx-metadata.ts";
export { CIFAR10_NORMALIZATION, toNchw } from "./preprocess.ts";
export type { RasterImage } from "./raster.ts";
export {
  ambientS3Credentials,
  getObjectBytes,
  isS3Uri,
  listObjects,
  parseS3Uri,
  type S3Credentials,
  type S3Location,
  type S3Object,
  s3Client,
  s3Failure,
  s3Uri,
  withS3Credentials,
} from "./s3.ts";
export { S3ImageFolderReader } from "./s3-image-folder.ts";
export {
  COMMIT_MARKER,
  folderPrefix,
  hasCommittedResult,
  inspectTarget,
  PARTIAL_MARKER,
  publishDirectory,
  publishFiles,
} from "./s3-publish.ts";
export { createSession, cudaProblem } from "./session.ts";
export { scanTar, type TarMember } from "./tar.ts";
export { expandBraces, isShardSpec, listShards, WebDatasetReader } from "./webdataset.ts";
