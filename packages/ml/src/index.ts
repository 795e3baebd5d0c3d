// @adq/ml — the ML runtime: dataset readers, image decoding, preprocessing, seeded
// augmentations, and ONNX Runtime model sessions. Depends on core only.
export * from "./augment.ts";
export * from "./cifar10-binary.ts";
export * from "./dataset.ts";
export * from "./decode.ts";
export * from "./feature-model.ts";
export { IMAGE_EXTENSIONS, ImageFolderReader, isImageFileName, scanImageFolder } from "./image-folder.ts";
export * from "./mae-model.ts";
export * from "./model-contract.ts";
export * from "./onnx-metadata.ts";
export * from "./preprocess.ts";
export * from "./raster.ts";
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
