import { join } from "node:path";
import { CIFAR10_CLASSES, openDataset } from "@adq/ml";
import { matchClasses } from "@adq/stages";

/**
 * The default feature model for a data set (models/README.md, "Default rule"): the CIFAR-10
 * ResNet-20 when the data set is CIFAR-like — its classes are CIFAR-10's (all or some, by name,
 * class-match.ts) and its first image is 32×32 —, else the general ImageNet backbone
 * (EfficientNet-Lite0, float32: on these CPUs its int8 export is slower). `--model` overrides both. Reads the listing and one image.
 *
 * CCS always gets the general backbone: it ranks items by held-out difficulty, and the ResNet-20
 * trained on CIFAR-10's training images separates them almost perfectly (its cross-fitted head is
 * 97% right on them, EfficientNet's 74%), so on CIFAR-10 its difficulty is mostly noise
 * (bench/quality/FINDINGS.md: CCS β 0.3 at 10% kept, 65.98% with it, 68.13% with EfficientNet).
 */
export async function defaultModelFor(
  datasetPath: string,
  modelsDir: string,
  method?: string,
): Promise<{ file: string; reason: string }> {
  const resnet = join(modelsDir, "resnet20-cifar10.onnx");
  const general = join(modelsDir, "efficientnet-lite0.onnx");
  if (method === "ccs")
    return { file: general, reason: "CCS needs difficulty from a model that never trained on these images" };
  const reader = await openDataset(datasetPath);
  const desc = await reader.describe();
  if (!matchClasses(desc.classes, CIFAR10_CLASSES, CIFAR10_CLASSES.length).match)
    return { file: general, reason: "its classes are not CIFAR-10's" };
  if (desc.size === 0) return { file: resnet, reason: "CIFAR-10 classes" };
  let size: [number, number] | undefined;
  for await (const b of reader.batches(1, { indices: [0] })) size = [b.images[0]!.width, b.images[0]!.height];
  if (size && (size[0] !== 32 || size[1] !== 32))
    return { file: general, reason: `CIFAR-10 classes but ${size[0]}×${size[1]} images, not 32×32` };
  return { file: resnet, reason: "CIFAR-10 classes, 32×32 images" };
}
