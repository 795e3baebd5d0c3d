// The coordinator (runCompression) on the embedded adapters — LocalBus and FsArtifactStore,
// which pass the ports' contract suites (packages/platform/src/embedded-adapters.test.ts) —
// with the real stage workers. The random method needs no model, so this stays fast: it
// checks the coordinator's own contract (stages in plan order, progress, determinism, the
// stage cache, cancellation, bad data sets), not the algorithms (the e2e suites do).
import { FsArtifactStore, LocalBus } from "@adq/platform";
import { afterAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../../../test/support/index.ts";
import { type CompressionJob, runCompression, type StageName, type StageProgress } from "./coordinator.ts";
import { CancelledError } from "./fan-out.ts";
import { DEFAULT_PARAMS } from "./params.ts";
import { registerStageWorkers } from "./workers.ts";

describe("runCompression", () => {
  const data = demoSlice(3, 6); // 18 images, 3 classes
  const store = new FsArtifactStore(tmp("adq-coord-"));
  const bus = new LocalBus();
  const workers = registerStageWorkers(bus, { store });
  afterAll(async () => {
    await workers.close();
    await bus.close();
  });
  const job = (id: string, over: Partial<CompressionJob> = {}): CompressionJob => ({
    jobId: id,
    dataset: { path: data },
    model: null,
    params: { ...DEFAULT_PARAMS, method: "random", ratio: 0.5, drop: 0, seed: 7 },
    resultPrefix: `results/${id}`,
    ...over,
  });

  it("runs the plan's stages in order, reports their totals and progress, selects round(ρ·N) per class", async () => {
    const starts: Array<[StageName, number]> = [];
    const progress: StageProgress[] = [];
    const tasks: string[] = [];
    const off = bus.onOutcome((o) => tasks.push(o.task.stage));
    const out = await runCompression(job("a"), {
      bus,
      store,
      onStage: (s, total) => starts.push([s, total]),
      onProgress: (p) => progress.push(p),
    });
    off();
    // random: no features, bins or scores; one sampling task per class, one assemble.
    expect(starts).toEqual([
      ["sampling", 3],
      ["assemble", 1],
    ]);
    expect(progress.filter((p) => p.stage === "sampling").at(-1)).toEqual({
      stage: "sampling",
      done: 3,
      total: 3,
    });
    expect(tasks.sort()).toEqual(["assemble", "sampling", "sampling", "sampling"]);
    expect(out).toMatchObject({ resultPrefix: "results/a", selected: 9, total: 18 });
    expect(out.files).toEqual(["manifest.json", "bins.json", "store.adqp", "report.html"]);
    const manifest = JSON.parse(new TextDecoder().decode(await store.get("results/a/manifest.json")));
    expect(JSON.stringify(manifest)).toContain("random");
  });

  const bytes = async (id: string) => Buffer.from(await store.get(`results/${id}/store.adqp`));

  it("is deterministic: the same inputs and seed give the same stored bytes; another seed another subset", async () => {
    await runCompression(job("b"), { bus, store });
    expect((await bytes("b")).equals(await bytes("a"))).toBe(true);
    await runCompression(job("c", { params: { ...job("c").params, seed: 8 } }), { bus, store });
    expect((await bytes("c")).equals(await bytes("a"))).toBe(false);
  });

  it("a cancelled job rejects with CancelledError", async () => {
    const ac = new AbortController();
    ac.abort(new CancelledError("cancelled"));
    await expect(runCompression(job("d"), { bus, store, signal: ac.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
  });

  it("refuses an empty data set and a single class before any task runs", async () => {
    const tasks: string[] = [];
    const off = bus.onOutcome((o) => tasks.push(o.task.stage));
    const one = demoSlice(1, 3);
    await expect(
      runCompression(job("e", { dataset: { path: tmp("adq-empty-") } }), { bus, store }),
    ).rejects.toThrow(/^dataset directory .* is empty$/);
    await expect(runCompression(job("f", { dataset: { path: one } }), { bus, store })).rejects.toThrow(
      /class/,
    );
    off();
    expect(tasks).toEqual([]);
  });
});
