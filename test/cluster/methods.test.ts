// Every method gives the same manifest bytes embedded (`adq compress`), served (`adq serve`,
// all-in-one) and clustered (`adq serve --nats`, a real nats-server): the job plan (method
// table, default-model rule) is one, whatever the mode. Data: 3 classes × 4 EuroSAT tiles
// (64×64, classes that are not CIFAR-10's), so the default model is the general backbone for
// every method. Lean on purpose: ρ = 0.25, 2 bins, one seed; jobs of a mode share its cache.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "@adq/cli";
import { CompressionClient } from "@adq/service-common";
import type { Method__Output as MethodName } from "@adq/service-common/proto";
import { METHODS, type Method } from "@adq/stages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compressCli } from "../e2e/cli.ts";
import { sliceOf, tmp } from "../e2e/helpers.ts";
import { download, watchToEnd } from "../services/helpers.ts";
import { type NatsServer, startNatsServer } from "../support/nats-server.ts";
import { dumpLogs, killAll, startService } from "./procs.ts";

const KEY = "methods-test-key";
const METHOD_LIST = Object.keys(METHODS) as Method[];
const FLAGS = ["--ratio", "0.25", "--bins", "2", "--seed", "1", "--threads", "1"];

describe("every method: the same manifest embedded, served and clustered", () => {
  let nats: NatsServer;
  let data: string;
  const clients: Record<"served" | "clustered", CompressionClient> = {} as never;

  beforeAll(async () => {
    data = sliceOf(join(REPO_ROOT, "test", "fixtures", "datasets", "eurosat-slice"), 3, 4);
    nats = await startNatsServer();
    const common = ["--port", "0", "--data-root", data, "--threads", "1"];
    const [served, clustered] = await Promise.all([
      startService("all-in-one", ["serve", ...common, "--cache-dir", tmp("adq-methods-cache-")], {
        ADQ_API_KEY: KEY,
      }),
      startService("cluster", ["serve", "--nats", nats.url, "--insecure-nats", ...common], {
        ADQ_API_KEY: KEY,
      }),
    ]);
    clients.served = new CompressionClient(served.address, { apiKey: KEY, timeoutMs: 10_000 });
    clients.clustered = new CompressionClient(clustered.address, { apiKey: KEY, timeoutMs: 10_000 });
  }, 60_000);

  afterAll(async () => {
    for (const c of Object.values(clients)) c.close();
    dumpLogs();
    killAll();
    await nats?.stop();
  });

  async function served(
    mode: "served" | "clustered",
    method: Method,
    extra: { adqBeta?: number; adqStrata?: number } = {},
  ): Promise<Buffer> {
    const c = clients[mode];
    const { job } = await c.createJob({
      dataset: { uri: pathToFileURL(data).href },
      params: { ratio: 0.25, bins: 2, seed: 1, method: METHODS[method].proto as MethodName, ...extra },
    });
    const last = (await watchToEnd(c, job.id)).at(-1)!;
    expect(last.terminal?.state, JSON.stringify(last.terminal?.error)).toBe("JOB_STATE_SUCCEEDED");
    return download(c, job.id, "manifest.json");
  }

  it("every method (random, dq, adq, adq-paper, ccs): byte-identical manifests in the three modes, the general backbone by the rule", async () => {
    const cache = tmp("adq-methods-cli-cache-");
    for (const method of METHOD_LIST) {
      const out = join(tmp("adq-methods-cli-"), "out");
      const r = await compressCli(data, ["--method", method, ...FLAGS], { out, cache });
      expect(r.code, r.stderr).toBe(0);
      const embedded = readFileSync(join(out, "manifest.json"));
      const m = JSON.parse(embedded.toString("utf8"));
      expect(m.method).toBe(method);
      // EuroSAT's classes are not CIFAR-10's: the rule picks the general backbone for every method.
      expect(m.model?.file).toMatch(/efficientnet-lite0\.onnx$/);
      // adq is ADQ's best measured variant (its row's β 0.3, 50 strata per bin); adq-paper the
      // paper's recipe (uniform draws in a bin): the two rows differ on every surface alike.
      if (method === "adq") expect(m.adq).toMatchObject({ beta: 0.3, strata: 50 });
      if (method === "adq-paper") expect(m.adq).toBeUndefined();
      const [s, c] = await Promise.all([served("served", method), served("clustered", method)]);
      expect(s.equals(embedded), `${method}: adq serve differs from adq compress`).toBe(true);
      expect(c.equals(embedded), `${method}: adq serve --nats differs from adq compress`).toBe(true);
    }
    // adq with explicit levers (the features, bins and scores above reused): the same bytes too.
    const out = join(tmp("adq-methods-cli-"), "out");
    const flags = ["--method", "adq", "--adq-beta", "0.25", "--adq-strata", "2", ...FLAGS];
    const r = await compressCli(data, flags, { out, cache });
    expect(r.code, r.stderr).toBe(0);
    const embedded = readFileSync(join(out, "manifest.json"));
    expect(JSON.parse(embedded.toString("utf8")).adq).toMatchObject({ beta: 0.25, strata: 2 });
    const extra = { adqBeta: 0.25, adqStrata: 2 };
    const [s, c] = await Promise.all([served("served", "adq", extra), served("clustered", "adq", extra)]);
    expect(s.equals(embedded), "adq --adq-beta: adq serve differs from adq compress").toBe(true);
    expect(c.equals(embedded), "adq --adq-beta: adq serve --nats differs from adq compress").toBe(true);
  }, 240_000);
});
