/**
 * Where the CLI finds the files that ship with the repository (the bundled demo data set, the
 * default models, the trainer): resolved from this source file, not from the working
 * directory. In the bundle (scripts/bundle.mjs) `import.meta.url` keeps this file's place.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root: defaults (demo data, models) resolve from here, not from the cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const DEFAULT_DATASET = join(REPO_ROOT, "demo", "cifar10-demo");
export const DEFAULT_MODEL = join(REPO_ROOT, "models", "resnet20-cifar10.onnx");
/** The general backbone, the default for data sets that are not CIFAR-like (default-model.ts). */
export const GENERAL_MODEL = join(REPO_ROOT, "models", "efficientnet-lite0.onnx");
export const DEFAULT_MAE = join(REPO_ROOT, "models", "mae-cifar10.onnx");
