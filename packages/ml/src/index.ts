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
export { createSession, cudaProblem } from "./session.ts";
