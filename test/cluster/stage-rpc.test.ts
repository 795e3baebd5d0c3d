// The stage gRPC methods BinningService.BinClass and ScoringService.ScoreBin, called directly
// over gRPC on the stage outputs of a real small job: they give what the pipeline produced.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataset } from "#ml";
import { encodeNpy } from "#platform";
import type { BinsFile } from "#stages";
import { addStageService, stageClientConstructor } from "../../services/cluster/stage-services.ts";
import { bindServer } from "../../services/common/server.ts";
import { demoSlice } from "../e2e/helpers.ts";
import { download, startTestServer, type TestServer, watchToEnd } from "../services/helpers.ts";

type Unary = (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

describe("stage gRPC methods over a real job's stage outputs", () => {
  let t: TestServer;
  let server: grpc.Server;
  let binning: grpc.Client & Record<string, Unary>;
  let scoring: grpc.Client & Record<string, Unary>;
  let data: string;
  const call = (c: grpc.Client & Record<string, Unary>, m: string, req: unknown) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      c[m]!.call(c, req, (err, res) => (err ? reject(err) : resolve(res as Record<string, unknown>))),
    );

  beforeAll(async () => {
    data = demoSlice(2, 12);
    t = await startTestServer([data]);
    server = new grpc.Server();
    addStageService(server, "binning", "test", { store: t.srv.store });
    addStageService(server, "scoring", "test", { store: t.srv.store });
    const port = await bindServer(server, "127.0.0.1:0");
    const addr = `127.0.0.1:${port}`;
    binning = new (stageClientConstructor("binning")!)(addr, grpc.credentials.createInsecure()) as never;
    scoring = new (stageClientConstructor("scoring")!)(addr, grpc.credentials.createInsecure()) as never;
  });

  afterAll(async () => {
    binning?.close();
    scoring?.close();
    server?.forceShutdown();
    await t?.close();
  });

  it("BinClass and ScoreBin equal the pipeline's bins and scores", async () => {
    const { job } = await t.acme.createJob({
      dataset: { uri: `file://${data}` },
      params: { ratio: 0.25, bins: 2, seed: 3 },
    });
    const events = await watchToEnd(t.acme, job.id);
    expect(events.at(-1)?.terminal?.state).toBe("JOB_STATE_SUCCEEDED");
    const binsFile = JSON.parse((await download(t.acme, job.id, "bins.json")).toString("utf8")) as BinsFile;
    const store = t.srv.store;

    // The job's one feature shard (24 items < the shard size), and its labels as a client sends them.
    const done = (await store.list("cache/features/")).filter((a) => a.key.endsWith("/done.json"));
    expect(done).toHaveLength(1);
    const prefix = done[0]!.key.slice(0, -"/done.json".length);
    const desc = await (await openDataset(data)).describe();
    const labels = Int32Array.from(desc.items, (it) => it.label);
    await store.put(
      "test/labels.npy",
      encodeNpy({ data: labels, shape: [labels.length] }),
      "application/x-npy",
    );
    const refOf = async (key: string) => {
      const i = (await store.stat(key))!;
      return { key, sha256: i.digest, sizeBytes: i.size, mediaType: i.mediaType };
    };
    const features = [
      {
        shard: { start: 0, end: labels.length },
        labels: await refOf("test/labels.npy"),
        embeddings: await refOf(`${prefix}/embedding.npy`),
        logits: await refOf(`${prefix}/logits.npy`),
        pooled: await refOf(`${prefix}/pooled.npy`),
        textureLevels: await refOf(`${prefix}/texture.npy`),
      },
    ];
    const pipelineBins = new Map<number, number[][]>();
    for (const a of (await store.list("cache/bins/")).filter((x) => x.key.endsWith("/bins.json"))) {
      const b = JSON.parse(Buffer.from(await store.get(a.key)).toString("utf8"));
      pipelineBins.set(b.classIndex, b.bins);
    }
    expect(pipelineBins.size).toBe(2);

    for (const c of [0, 1]) {
      const res = (await call(binning, "BinClass", {
        task: { jobId: "direct-1", taskKey: `class-000${c}` },
        features,
        classIndex: c,
        bins: 2,
        graphcutLambda: 1,
      })) as { bins: { bins: { key: string; sha256: string }; binSizes: string[]; classSize: string } };
      expect(res.bins.bins.key).toBe(`jobs/direct-1/binning/class-000${c}/bins.json`);
      expect(res.bins.classSize).toBe("12");
      const got = JSON.parse(Buffer.from(await store.get(res.bins.bins.key)).toString("utf8"));
      expect(got.bins).toEqual(pipelineBins.get(c));
      expect(res.bins.bins.sha256).toBe((await store.stat(res.bins.bins.key))!.digest);

      for (const b of [0, 1]) {
        const sc = (await call(scoring, "ScoreBin", {
          task: { jobId: "direct-1", taskKey: `class-000${c}/bin-0${b}` },
          features,
          bins: res.bins,
          binIndex: b,
          diversity: { method: "DIVERSITY_METHOD_CONTRASTIVE", tau: 0.5 },
          seed: 3,
        })) as { score: { rs: number; ds: number; size: string } };
        const rec = binsFile.bins.find((r) => r.class === c && r.bin === b)!;
        expect(sc.score.rs).toBeCloseTo(rec.rs!, 12);
        expect(sc.score.ds).toBeCloseTo(rec.ds!, 12);
        expect(Number(sc.score.size)).toBe(rec.size);
      }
    }
    // Bad input: a missing artifact is FAILED_PRECONDITION, a bad task key INVALID_ARGUMENT.
    await expect(
      call(binning, "BinClass", {
        task: { jobId: "direct-1", taskKey: "x" },
        features: [{ ...features[0], embeddings: { key: "nope/embedding.npy" } }],
        classIndex: 0,
        bins: 2,
      }),
    ).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
    await expect(
      call(binning, "BinClass", {
        task: { jobId: "direct-1", taskKey: "../x" },
        features,
        classIndex: 0,
        bins: 2,
      }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  }, 240_000);
});
