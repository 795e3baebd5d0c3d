import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ArtifactStore } from "@adq/platform";
import { type CompressionOutcome, exportIntermediates } from "@adq/stages";

/** `--keep-intermediates`: exportIntermediates' files (@adq/stages) under `dir`. */
export async function writeIntermediates(
  store: ArtifactStore,
  outcome: Pick<CompressionOutcome, "stageOutputs">,
  dir: string,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return exportIntermediates(store, outcome, async (name, data) => {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), data);
  });
}
