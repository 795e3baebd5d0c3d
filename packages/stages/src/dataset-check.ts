import type { DatasetDescription } from "@adq/ml";
import { InvalidArgumentError } from "@adq/platform";
import { METHODS } from "./methods.ts";
import type { CompressParams } from "./outputs.ts";

/**
 * What a job needs of its data set, read off its index (no image decoded): images, at least
 * two classes, and for the bin methods no class smaller than the bin count. The gateway runs
 * it when a job is created, to refuse the job at once; the coordinator when a job runs (adq
 * compress has no gateway, and a data set can change in between). Rules and messages live
 * here only.
 * @throws InvalidArgumentError naming "dataset" (reason DATASET_EMPTY / SINGLE_CLASS) or "bins"
 */
export function checkDataset(
  desc: Pick<DatasetDescription, "root" | "size" | "classes" | "items">,
  params: Pick<CompressParams, "method" | "bins">,
): void {
  if (desc.size === 0)
    throw new InvalidArgumentError("dataset", `${desc.root} holds no images`, "DATASET_EMPTY");
  if (desc.classes.length < 2)
    throw new InvalidArgumentError(
      "dataset",
      `${desc.root} has only one class (${desc.classes[0]}); ADQ selects per class and needs at least two`,
      "SINGLE_CLASS",
    );
  if (METHODS[params.method].bins) {
    const sizes = desc.classes.map(() => 0);
    for (const it of desc.items) sizes[it.label]!++;
    const smallest = Math.min(...sizes);
    if (params.bins > smallest)
      throw new InvalidArgumentError(
        "bins",
        `must be at most the smallest class size (${smallest}), got ${params.bins}`,
      );
  }
}
