import { join } from "node:path";
import { defaultModelRole, METHODS, type Method, type ModelRole, readDatasetShape } from "@adq/stages";

/** The files of the default-model rule's roles (the rule itself: `defaultModelRole`, @adq/stages). */
export function modelFiles(modelsDir: string): Record<ModelRole, string> {
  return {
    cifar: join(modelsDir, "resnet20-cifar10.onnx"),
    // float32: on these CPUs its int8 export is slower.
    general: join(modelsDir, "efficientnet-lite0.onnx"),
  };
}

/**
 * The default feature model of `method` for a data set, by the job plan's rule (models/README.md,
 * "Default rule"; the gateway applies the same rule, so `adq serve` picks the same file).
 * `--model` overrides it. Reads the listing and one image.
 */
export async function defaultModelFor(
  datasetPath: string,
  modelsDir: string,
  method: Method,
): Promise<{ file: string; reason: string }> {
  const pick = defaultModelRole(METHODS[method], await readDatasetShape(datasetPath));
  return { file: modelFiles(modelsDir)[pick.role], reason: pick.reason };
}
