// The features stage reports progress in images while its tasks run (each task publishes the
// images it has done; the coordinator sums them over shards), not only when a shard ends.
import { DEFAULT_MODEL } from "@adq/cli";
import { FsArtifactStore, LocalBus } from "@adq/platform";
import {
  DEFAULT_PARAMS,
  registerStageWorkers,
  runCompression,
  type StageProgress,
  sha256File,
} from "@adq/stages";
import { describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";

describe("features progress", () => {
  it("counts images within a shard, monotonically, up to the data set's size", async () => {
    const data = demoSlice(2, 40); // 80 images, one shard
    const store = new FsArtifactStore(tmp("adq-fprog-"));
    const bus = new LocalBus();
    const workers = registerStageWorkers(bus, { store, featuresProgressMs: 0 });
    const seen: StageProgress[] = [];
    const starts: Array<[string, number]> = [];
    try {
      await runCompression(
        {
          jobId: "fprog",
          dataset: { path: data },
          model: { file: DEFAULT_MODEL, sha256: await sha256File(DEFAULT_MODEL) },
          params: { ...DEFAULT_PARAMS, method: "random", ratio: 0.25, drop: 0.25 },
          batchSize: 8,
          resultPrefix: "results/fprog",
        },
        {
          bus,
          store,
          onStage: (stage, total) => starts.push([stage, total]),
          onProgress: (p) => seen.push(p),
        },
      );
    } finally {
      await workers.close();
    }
    expect(starts.find(([s]) => s === "features")).toEqual(["features", 80]);
    const features = seen.filter((p) => p.stage === "features");
    expect(features.every((p) => p.total === 80)).toBe(true);
    const done = features.map((p) => p.done);
    expect(done.at(-1)).toBe(80);
    for (let i = 1; i < done.length; i++) expect(done[i]).toBeGreaterThanOrEqual(done[i - 1]!);
    // Batches of 8 within the one shard: partial counts before the shard's outcome.
    expect(done.filter((d) => d > 0 && d < 80).length).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
