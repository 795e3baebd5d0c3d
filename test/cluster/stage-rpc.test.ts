// The stage gRPC services called directly, as a tenant would: ExtractFeatures → BinClass →
// ScoreBin → Allocate → SampleClass → DropPatches → Reconstruct over a real demo slice give
// exactly what the pipeline produced for the same parameters (a job run through the gateway
// on the same data), each call confined to the caller's tenant namespace.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_MODEL } from "@adq/cli";
import type { StageProcessName } from "@adq/cluster";
import { readTar } from "@adq/gateway";
import { decodeNpy } from "@adq/platform";
import { ApiKeyAuthenticator, errorDetailsOf, Logger } from "@adq/service-common";
import { hashApiKey, MemorySink } from "@adq/service-common/testing";
import { type BinsFile, decodeStore, type Manifest, maskFromHex, patchBounds } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import {
  download,
  downloadJson,
  KEYS,
  startTestServer,
  succeededJob,
  type TestServer,
} from "../services/helpers.ts";
import { bundledModelEnv, type Res, useStageRpc } from "./stage-rpc-server.ts";

const SEED = 3;
const log = new Logger(new MemorySink());
const RATIO = 0.25;
const DROP = 0.25;

describe("stage gRPC methods, called directly, equal the pipeline", () => {
  let t: TestServer;
  let data: string;
  const rpc = useStageRpc<Exclude<StageProcessName, "assemble">>();
  const md = (key: string | null = KEYS.acme) => {
    const m = new grpc.Metadata();
    if (key) m.set("authorization", `Bearer ${key}`);
    return m;
  };
  /** A call with `key` as the bearer API key (acme's by default; null: none). */
  const call = (
    stage: Exclude<StageProcessName, "assemble">,
    method: string,
    req: unknown,
    key?: string | null,
  ) => rpc.call(stage, method, req, md(key));
  const rejects = async (p: Promise<unknown>, code: grpc.status, pattern: RegExp) => {
    const err = (await p.then(
      () => null,
      (e: unknown) => e,
    )) as grpc.ServiceError | null;
    expect(err, "the call should fail").not.toBeNull();
    expect({ code: grpc.status[err!.code], details: err!.details }).toMatchObject({
      code: grpc.status[code],
      details: expect.stringMatching(pattern),
    });
    return err!;
  };

  let manifest: Manifest;
  /** The chain test's feature shard (in acme's namespace), reused by the bad-input test. */
  let firstShard: Res;
  let binsFile: BinsFile;
  /** bins.json of the same job at α = 1 and allocation strength 10 (the default is 0.2). */
  let strongBins: BinsFile;
  let storeFile: Buffer;

  beforeAll(async () => {
    data = demoSlice(2, 12);
    t = await startTestServer([data]);
    // ADQ, not the default CCS: the chain below calls every stage.
    const adq = { ratio: RATIO, bins: 2, seed: SEED, method: "METHOD_ADQ_PAPER", dropRatio: DROP } as const;
    // Raw store codec: DropPatches writes exact kept pixels, compared with the job's below.
    const jobId = await succeededJob(t.acme, data, { ...adq, storeCodec: "STORE_CODEC_RAW" });
    manifest = await downloadJson(t.acme, jobId, "manifest.json");
    binsFile = await downloadJson(t.acme, jobId, "bins.json");
    storeFile = await download(t.acme, jobId, "store.adqp");
    const strongId = await succeededJob(t.acme, data, { ...adq, alpha: 1, allocationStrength: 10 });
    strongBins = await downloadJson(t.acme, strongId, "bins.json");

    const auth = new ApiKeyAuthenticator([
      { id: "acme", keys: [hashApiKey(KEYS.acme)] },
      { id: "globex", keys: [hashApiKey(KEYS.globex)] },
    ]);
    await rpc.start(["features", "binning", "scoring", "sampling"], {
      store: t.srv.store,
      log,
      auth,
      env: bundledModelEnv([data]),
    });
  }, 240_000);

  afterAll(async () => {
    await t?.close();
  });

  it("the whole chain gives the pipeline's bins, scores, allocation, selection, masks and patches", async () => {
    const job = { jobId: "direct-1" };
    const dataset = { uri: `file://${data}` };
    // 1. Features: one shard of all 24 items, with the augmented views of the job's seed.
    const fx: Res = await call("features", "ExtractFeatures", {
      task: { ...job, taskKey: "00000000-00000024" },
      dataset,
      shard: { start: 0, end: 24 },
      outputs: [
        "FEATURE_KIND_EMBEDDING",
        "FEATURE_KIND_LOGITS",
        "FEATURE_KIND_POOLED",
        "FEATURE_KIND_TEXTURE_LEVEL",
        "FEATURE_KIND_VIEW",
      ],
      seed: SEED,
    });
    expect(fx.itemCount).toBe("24");
    firstShard = fx.features;
    expect(fx.features.embeddings.key).toBe("jobs/direct-1/features/00000000-00000024/embedding.npy");
    expect(fx.model).toMatchObject({ inputSize: 32, numClasses: 10, hasFeatureMap: true });
    // Stored in acme's namespace, nowhere else.
    expect(await t.srv.store.stat(`tenants/acme/${fx.features.embeddings.key}`)).toBeDefined();
    expect(await t.srv.store.stat(fx.features.embeddings.key)).toBeUndefined();
    const labels = decodeNpy(await t.srv.store.get(`tenants/acme/${fx.features.labels.key}`));
    expect(Array.from(labels.data as BigInt64Array, Number)).toEqual(manifestLabels());

    // 2–3. Bins and scores per class.
    const scored: Res[] = [];
    const classBins: Res[] = [];
    for (const c of [0, 1]) {
      const b: Res = await call("binning", "BinClass", {
        task: { ...job, taskKey: `class-000${c}` },
        features: [fx.features],
        classIndex: c,
        bins: 2,
        graphcutLambda: 1,
      });
      expect(b.bins.classSize).toBe("12");
      classBins.push(b.bins);
      for (const bin of [0, 1]) {
        const s: Res = await call("scoring", "ScoreBin", {
          task: { ...job, taskKey: `class-000${c}/bin-0${bin}` },
          features: [fx.features],
          bins: b.bins,
          binIndex: bin,
          diversity: { method: "DIVERSITY_METHOD_CONTRASTIVE", tau: 0.5 },
          seed: SEED,
        });
        const rec = binsFile.bins.find((r) => r.class === c && r.bin === bin)!;
        expect(Number(s.score.size)).toBe(rec.size);
        expect(s.score.rs).toBeCloseTo(rec.rs!, 12);
        expect(s.score.ds).toBeCloseTo(rec.ds!, 12);
        scored.push(s.score);
      }
    }

    // 4. Allocation over every bin of the job.
    const alloc: Res = await call("sampling", "Allocate", {
      task: { ...job, taskKey: "allocation" },
      bins: scored,
      ratio: RATIO,
      alpha: binsFile.params.alpha,
      rsWeight: 1,
      dsWeight: 1,
      method: "METHOD_ADQ_PAPER",
    });
    expect(alloc.totalSelected).toBe(String(manifest.selected));
    expect(alloc.classSelected.map(Number)).toEqual(manifest.perClass);
    for (const b of alloc.bins as Res[]) {
      const rec = binsFile.bins.find((r) => r.class === b.classIndex && r.bin === b.binIndex)!;
      expect(Number(b.allocated)).toBe(rec.allocated);
      expect(b.importance).toBeCloseTo(rec.importance!, 12);
      expect(b.rsNormalized).toBeCloseTo(rec.rsZ!, 12);
    }

    // The same allocation at another strength reproduces a job run at that strength.
    const allocateAt = (strength?: number): Promise<Res> =>
      call("sampling", "Allocate", {
        task: { ...job, taskKey: `allocation-${strength}` },
        bins: scored,
        ratio: RATIO,
        alpha: 1,
        rsWeight: 1,
        dsWeight: 1,
        method: "METHOD_ADQ_PAPER",
        ...(strength === undefined ? {} : { allocationStrength: strength }),
      });
    const counts = (a: Res) => (a.bins as Res[]).map((b) => Number(b.allocated));
    const jobCounts = (f: BinsFile) =>
      [...f.bins].sort((x, y) => x.class - y.class || x.bin - y.bin).map((r) => r.allocated);
    const strongAlloc = await allocateAt(10);
    expect(counts(strongAlloc)).toEqual(jobCounts(strongBins));
    // Not vacuous: at the default strength the same bins get other counts.
    expect(counts(await allocateAt())).not.toEqual(jobCounts(strongBins));
    expect(counts(alloc)).toEqual(jobCounts(binsFile));

    // 5–7. Per class: sample, drop patches, reconstruct.
    const stored = new Map([...decodeStore(storeFile)].map((r) => [r.index, r]));
    for (const c of [0, 1]) {
      const allocations = (alloc.bins as Res[]).filter((b) => b.classIndex === c).map((b) => b.allocated);
      const sel: Res = await call("sampling", "SampleClass", {
        task: { ...job, taskKey: `class-000${c}` },
        bins: classBins[c],
        allocations,
        seed: SEED,
      });
      const doc = JSON.parse(
        Buffer.from(await t.srv.store.get(`tenants/acme/${sel.selection.items.key}`)).toString("utf8"),
      ) as { bins: number[][] };
      const mine = manifest.items.filter((it) => it.label === c);
      doc.bins.forEach((items, b) => {
        expect(items).toEqual(mine.filter((it) => it.bin === b).map((it) => it.index));
      });

      const dp: Res = await call("sampling", "DropPatches", {
        task: { ...job, taskKey: `class-000${c}` },
        dataset,
        selection: sel.selection,
        dropRatio: DROP,
      });
      expect(dp.store).toMatchObject({
        itemCount: String(mine.length),
        patchGrid: { imageSize: 32, patchSize: 4 },
      });
      const masks = decodeNpy(await t.srv.store.get(`tenants/acme/${dp.store.masks.key}`));
      expect(masks.shape).toEqual([mine.length, 8, 8]);
      const records = [...decodeStore(await t.srv.store.get(`tenants/acme/${dp.store.patches.key}`))];
      mine.forEach((it, k) => {
        const want = maskFromHex(it.mask!, 64);
        expect(Array.from((masks.data as Uint8Array).subarray(k * 64, (k + 1) * 64))).toEqual(
          Array.from(want),
        );
        expect(records[k]!.index).toBe(it.index);
        expect(Buffer.from(records[k]!.data).equals(Buffer.from(stored.get(it.index)!.data))).toBe(true);
      });

      const rec: Res = await call("sampling", "Reconstruct", {
        task: { ...job, taskKey: `class-000${c}` },
        store: dp.store,
        className: manifest.dataset.classes[c],
      });
      expect(rec.itemCount).toBe(String(mine.length));
      const files = readTar(await t.srv.store.get(`tenants/acme/${rec.images.key}`), {
        maxFiles: 1000,
        maxBytes: 1 << 26,
      }).filter((e) => e.type === "file");
      expect(files.map((f) => f.name)).toEqual(
        mine.map((it) => `${manifest.dataset.classes[c]}/${String(it.index).padStart(8, "0")}.png`),
      );
      // Kept patches come back bit-exact; dropped ones are the MAE's.
      const px = await sharp(files[0]!.data!).raw().toBuffer();
      const orig = stored.get(mine[0]!.index)!;
      for (let p = 0; p < 64; p++) {
        if (!orig.mask[p]) continue;
        const [y0] = patchBounds(32, 8, Math.floor(p / 8));
        const [x0] = patchBounds(32, 8, p % 8);
        const i = (y0 * 32 + x0) * 3;
        expect([px[i], px[i + 1], px[i + 2]]).toEqual(Array.from(orig.data.subarray(i, i + 3)));
      }
    }

    // A class allocated no images (small ρ, a small class): an empty selection, and an empty
    // store with patches dropped — not an error.
    const none: Res = await call("sampling", "SampleClass", {
      task: { ...job, taskKey: "class-0000-none" },
      bins: classBins[0],
      allocations: [0, 0],
      seed: SEED,
    });
    const empty: Res = await call("sampling", "DropPatches", {
      task: { ...job, taskKey: "class-0000-none" },
      dataset,
      selection: none.selection,
      dropRatio: DROP,
    });
    expect(empty.store).toMatchObject({ itemCount: "0", originalBytes: "0" });
    expect([...decodeStore(await t.srv.store.get(`tenants/acme/${empty.store.patches.key}`))]).toEqual([]);

    // Another tenant cannot name acme's artifacts: its keys resolve in its own namespace.
    await rejects(
      call(
        "binning",
        "BinClass",
        { task: { ...job, taskKey: "class-0000" }, features: [fx.features], classIndex: 0, bins: 2 },
        KEYS.globex,
      ),
      grpc.status.FAILED_PRECONDITION,
      /features\[0\]\.embeddings: artifact jobs\/direct-1\/features\/.* not found/,
    );
  }, 240_000);

  function manifestLabels(): number[] {
    // The slice is 2 classes × 12 images in class order.
    return Array.from({ length: 24 }, (_, i) => (i < 12 ? 0 : 1));
  }

  it("answers bad input with the precise status and field", async () => {
    const task = { jobId: "direct-2", taskKey: "x" };
    const dataset = { uri: `file://${data}` };
    await rejects(
      call("features", "ExtractFeatures", { task, dataset, shard: { start: 0, end: 1 } }, null),
      grpc.status.UNAUTHENTICATED,
      /missing API key/,
    );
    await rejects(
      call("features", "ExtractFeatures", { task, dataset, shard: { start: 20, end: 25 } }),
      grpc.status.INVALID_ARGUMENT,
      /^shard\.end: must be <= the dataset's 24 items/,
    );
    await rejects(
      call("features", "ExtractFeatures", {
        task,
        dataset: { uri: "file:///etc" },
        shard: { start: 0, end: 1 },
      }),
      grpc.status.INVALID_ARGUMENT,
      /^dataset\.uri: \/etc is not under a configured data root/,
    );
    await rejects(
      call("features", "ExtractFeatures", {
        task,
        dataset,
        shard: { start: 0, end: 1 },
        outputs: ["FEATURE_KIND_FEATURE_MAP"],
      }),
      grpc.status.UNIMPLEMENTED,
      /FEATURE_MAP is not stored/,
    );
    await rejects(
      call("features", "ExtractFeatures", {
        task: { jobId: "../x", taskKey: "x" },
        dataset,
        shard: { start: 0, end: 1 },
      }),
      grpc.status.INVALID_ARGUMENT,
      /^task\.job_id/,
    );
    await rejects(
      call("sampling", "SampleClass", {
        task,
        bins: { bins: { key: "jobs/a b/bins.json" } },
        allocations: [1],
      }),
      grpc.status.INVALID_ARGUMENT,
      /^bins\.bins\.key: artifact key has an invalid segment "a b"/,
    );
    // A shard without its labels ref is a missing field, not an internal error.
    await rejects(
      call("binning", "BinClass", {
        task,
        features: [{ ...firstShard, labels: null }],
        classIndex: 0,
        bins: 2,
      }),
      grpc.status.INVALID_ARGUMENT,
      /^features\[0\]\.labels: required/,
    );
    const bin = (classIndex: number, binIndex: number) => ({ classIndex, binIndex, size: 3, rs: 1, ds: 2 });
    await rejects(
      call("sampling", "Allocate", {
        task,
        bins: [bin(0, 0), bin(0, 0)],
        ratio: 0.5,
        alpha: 0.5,
        method: "METHOD_ADQ_PAPER",
      }),
      grpc.status.INVALID_ARGUMENT,
      /^bins: class 0: bin 0 is listed twice/,
    );
    await rejects(
      call("sampling", "Allocate", {
        task,
        bins: [bin(0, 1)],
        ratio: 0.5,
        alpha: 0.5,
        method: "METHOD_ADQ_PAPER",
      }),
      grpc.status.INVALID_ARGUMENT,
      /^bins: class 0: bin 0 is missing/,
    );
    // Unset is METHOD_CCS (common.proto), which selects by difficulty strata, not bins.
    await rejects(
      call("sampling", "Allocate", { task, bins: [bin(0, 0)], ratio: 0.5, alpha: 0.5 }),
      grpc.status.INVALID_ARGUMENT,
      /^method: METHOD_UNSPECIFIED is CCS \(coverage-centric\), which selects by difficulty strata, not bins/,
    );
    await rejects(
      call("sampling", "Allocate", { task, bins: [bin(0, 0)], ratio: 1.5, alpha: 0.5 }),
      grpc.status.INVALID_ARGUMENT,
      /^ratio: must be in \(0, 1\]/,
    );
    await rejects(
      call("sampling", "Allocate", {
        task,
        bins: [bin(0, 0)],
        ratio: 0.5,
        alpha: 0.5,
        allocationStrength: 11,
      }),
      grpc.status.INVALID_ARGUMENT,
      /^allocation_strength: must be in \[0, 10\], got 11/,
    );
    // A corrupt image is BAD_FILES naming the file, unless skipped (then listed, rows zero).
    const bad = tmp("adq-bad-");
    for (const c of ["a", "b"]) {
      const { mkdirSync, copyFileSync, readdirSync } = await import("node:fs");
      mkdirSync(join(bad, c));
      const src = join(data, readdirSync(data).sort()[0]!);
      for (const f of readdirSync(src).sort().slice(0, 2)) copyFileSync(join(src, f), join(bad, c, f));
    }
    writeFileSync(join(bad, "b", "broken.jpg"), Buffer.from("not a jpeg at all"));
    await rpc.start(["features"], {
      store: t.srv.store,
      log,
      auth: new ApiKeyAuthenticator([{ id: "acme", keys: [hashApiKey(KEYS.acme)] }]),
      env: { dataRoots: [bad], models: { defaultModel: DEFAULT_MODEL, builtin: {}, roots: [] } },
    });
    const err = await rejects(
      call("features", "ExtractFeatures", {
        task,
        dataset: { uri: `file://${bad}` },
        shard: { start: 0, end: 5 },
      }),
      grpc.status.INVALID_ARGUMENT,
      /^bad image b\/broken\.jpg: .*skip_bad_files/,
    );
    expect(errorDetailsOf(err)?.reason).toBe("ERROR_REASON_BAD_FILES");
    const skipped: Res = await call("features", "ExtractFeatures", {
      task: { jobId: "direct-2", taskKey: "skip" },
      dataset: { uri: `file://${bad}` },
      shard: { start: 0, end: 5 },
      skipBadFiles: true,
    });
    expect(skipped).toMatchObject({ itemCount: "4", badFilesTotal: "1" });
    expect(skipped.badFiles[0]).toMatchObject({ path: "b/broken.jpg" });
    // The same request again is a retry (outputs reused); another one under the same task key is refused.
    const again: Res = await call("features", "ExtractFeatures", {
      task: { jobId: "direct-2", taskKey: "skip" },
      dataset: { uri: `file://${bad}` },
      shard: { start: 0, end: 5 },
      skipBadFiles: true,
    });
    expect(again.reused).toBe(true);
    expect(again.features.embeddings.sha256).toBe(skipped.features.embeddings.sha256);
    const reusedKey = await rejects(
      call("features", "ExtractFeatures", {
        task: { jobId: "direct-2", taskKey: "skip" },
        dataset: { uri: `file://${bad}` },
        shard: { start: 0, end: 4 },
        skipBadFiles: true,
      }),
      grpc.status.ALREADY_EXISTS,
      /already run with different inputs or parameters; use a new task_key/,
    );
    expect(errorDetailsOf(reusedKey)?.reason).toBe("ERROR_REASON_IDEMPOTENCY_KEY_REUSED");
    const idx = decodeNpy(await t.srv.store.get(`tenants/acme/${skipped.features.itemIndices.key}`));
    expect(idx.data.length).toBe(4);
    const emb = decodeNpy(await t.srv.store.get(`tenants/acme/${skipped.features.embeddings.key}`));
    expect(emb.shape[0]).toBe(5);
  }, 120_000);
});
