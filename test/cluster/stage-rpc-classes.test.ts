// The stage RPCs on a data set whose classes are not the model's (EuroSAT tiles, the CIFAR-10
// ResNet-20): BinClass cuts the bins on p − y from the job's cross-fitted head and DropPatches
// ranks patches by the class-agnostic activation map — the class check and the handlers the
// pipeline runs — so the chained calls select exactly what the job selected.
import { cpSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { decodeNpy } from "@adq/platform";
import { type Manifest, maskFromHex } from "@adq/stages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tmp } from "../e2e/helpers.ts";
import { downloadJson, startTestServer, succeededJob, type TestServer } from "../services/helpers.ts";
import { bundledModelEnv, type Res, useStageRpc } from "./stage-rpc-server.ts";

const SEED = 5;
const RATIO = 0.25;
const DROP = 0.25;

describe("stage RPCs on a data set whose classes are not the model's", () => {
  let t: TestServer;
  let data: string;
  let manifest: Manifest;
  const { start, call } = useStageRpc<"features" | "binning" | "sampling">();

  beforeAll(async () => {
    data = join(tmp("adq-eurosat-"), "eurosat");
    cpSync(join(REPO_ROOT, "test/fixtures/datasets/eurosat-slice"), data, { recursive: true });
    t = await startTestServer([data]);
    const jobId = await succeededJob(t.acme, data, {
      ratio: RATIO,
      bins: 2,
      seed: SEED,
      dropRatio: DROP,
      method: "METHOD_DQ",
    });
    manifest = await downloadJson(t.acme, jobId, "manifest.json");
    await start(["features", "binning", "sampling"], { store: t.srv.store, env: bundledModelEnv([data]) });
  }, 240_000);

  afterAll(async () => {
    await t?.close();
  });

  it("BinClass (fitted head), Allocate, SampleClass and DropPatches (activation map) give the job's selection and masks", async () => {
    // Not vacuous: the job itself took the mismatch path.
    expect(manifest.gradient?.source).toBe("fitted-head");
    expect(manifest.store?.patchScores).toBe("activation");
    const job = { jobId: "direct-eurosat" };
    const dataset = { uri: `file://${data}` };
    const n = manifest.total;
    const fx: Res = await call("features", "ExtractFeatures", {
      task: { ...job, taskKey: "shard-0" },
      dataset,
      shard: { start: 0, end: n },
    });
    const classes = manifest.dataset.classes.length;
    const classBins: Res[] = [];
    for (let c = 0; c < classes; c++) {
      const b: Res = await call("binning", "BinClass", {
        task: { ...job, taskKey: `class-${c}` },
        features: [fx.features],
        classIndex: c,
        bins: 2,
        seed: SEED,
      });
      classBins.push(b.bins);
    }
    // One head for the job: fitted once, reused by every class's call.
    expect(
      (await t.srv.store.list("jobs/direct-eurosat/head/")).filter((a) => a.key.endsWith("head.json")),
    ).toHaveLength(1);
    const alloc: Res = await call("sampling", "Allocate", {
      task: { ...job, taskKey: "allocation" },
      bins: classBins.flatMap((b) =>
        b.binSizes.map((size: string, k: number) => ({ classIndex: b.classIndex, binIndex: k, size })),
      ),
      ratio: RATIO,
      alpha: 0,
      method: "METHOD_DQ",
    });
    expect(alloc.classSelected.map(Number)).toEqual(manifest.perClass);
    for (let c = 0; c < classes; c++) {
      const allocations = (alloc.bins as Res[]).filter((b) => b.classIndex === c).map((b) => b.allocated);
      const sel: Res = await call("sampling", "SampleClass", {
        task: { ...job, taskKey: `class-${c}` },
        bins: classBins[c],
        allocations,
        seed: SEED,
      });
      const doc = JSON.parse(
        Buffer.from(await t.srv.store.get(sel.selection.items.key)).toString("utf8"),
      ) as {
        bins: number[][];
      };
      const mine = manifest.items.filter((it) => it.label === c);
      doc.bins.forEach((items, b) => {
        expect(items, `class ${c} bin ${b}`).toEqual(mine.filter((it) => it.bin === b).map((it) => it.index));
      });
      const dp: Res = await call("sampling", "DropPatches", {
        task: { ...job, taskKey: `class-${c}` },
        dataset,
        selection: sel.selection,
        dropRatio: DROP,
      });
      const masks = decodeNpy(await t.srv.store.get(dp.store.masks.key));
      mine.forEach((it, k) => {
        expect(Array.from((masks.data as Uint8Array).subarray(k * 64, (k + 1) * 64)), it.id).toEqual(
          Array.from(maskFromHex(it.mask!, 64)),
        );
      });
    }
  }, 240_000);
});
