// An entry flood (issue 28: 200,001 tiny entries took 68.7 s, the gateway grew by 434 MiB
// and health probes timed out, mostly in Node's recursive rm of the refused extraction):
// refused at the entry cap, removed with bounded memory while health keeps answering within
// 200 ms (asserted against the same probes on the idle machine, so a loaded CI runner's own
// timer delays do not count against the gateway). Scaled to a 20,000-entry cap so the suite
// stays short; bench/flood-probe.ts runs 200,001 against `adq serve`.
import { readdirSync } from "node:fs";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { writeTar } from "@adq/gateway";
import { CompressionClient } from "@adq/service-common";
import { checkHealth } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, startUploadServer, type TestServer } from "../services/helpers.ts";

const CAP = 20_000;

describe("an entry flood against a real gateway", () => {
  let t: TestServer;
  let uploadRoot: string;
  beforeAll(async () => {
    ({ t, uploadRoot } = await startUploadServer("flood", { uploadLimits: { maxFiles: CAP } }));
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Health probes (and the event loop's delay) for `ms`, or until `until` settles. */
  async function probe(until: Promise<unknown> | number) {
    const latencies: number[] = [];
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let done = false;
    if (typeof until === "number") setTimeout(() => (done = true), until);
    else void until.finally(() => (done = true)).catch(() => {});
    const before = process.memoryUsage().rss;
    let peak = 0;
    while (!done) {
      const t0 = performance.now();
      expect(await checkHealth(t.srv.address, "", 5000)).toBe("SERVING");
      latencies.push(performance.now() - t0);
      peak = Math.max(peak, process.memoryUsage().rss - before);
      await new Promise((r) => setTimeout(r, 50));
    }
    h.disable();
    latencies.sort((a, b) => a - b);
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
    return {
      n: latencies.length,
      p95: q(0.95),
      max: latencies.at(-1)!,
      loopP99: h.percentile(99) / 1e6,
      loopMax: h.max / 1e6,
      peak,
    };
  }
  const fmt = (m: Awaited<ReturnType<typeof probe>>) =>
    `${m.n} probes, p95 ${m.p95.toFixed(0)} ms, max ${m.max.toFixed(0)} ms; event loop p99 ${m.loopP99.toFixed(0)} ms, max ${m.loopMax.toFixed(0)} ms`;

  it(`${CAP + 1} empty entries: INVALID_ARGUMENT at the cap, nothing kept, health within 200 ms throughout`, async () => {
    const gz = gzipSync(
      writeTar(Array.from({ length: CAP + 1 }, (_, i) => ({ name: `d/c${i % 10}/${i}.png` }))),
    );
    global.gc?.();
    // The same probes with nothing else running first: what this machine's load alone costs
    // (a shared CI runner can delay any timer), so the bounds below are the flood's share.
    const idle = await probe(2000);
    // A deadline past the client's default 60 s: on a heavily loaded runner the extraction and
    // removal of 20,001 files alone can take that long (what is bounded is responsiveness).
    const client = new CompressionClient(t.srv.address, { apiKey: KEYS.acme, timeoutMs: 110_000 });
    const upload = client
      .uploadDataset({ name: "flood" }, gz)
      .catch((e: unknown) => e as grpc.ServiceError)
      .finally(() => client.close());
    const flood = await probe(upload);
    const err = await upload;
    console.info(
      `entry flood: ${fmt(flood)}, RSS +${(flood.peak / 2 ** 20).toFixed(0)} MiB; idle: ${fmt(idle)}`,
    );
    expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((err as grpc.ServiceError).details).toMatch(new RegExp(`more than ${CAP} entries`));
    expect(readdirSync(uploadRoot).flatMap((d) => readdirSync(`${uploadRoot}/${d}`))).toEqual([]);
    // Health answered while the flood was in progress (extraction and removal take seconds),
    // 95 % of probes within 200 ms beyond the idle machine's, none stalled for a second, and the
    // event loop never blocked for long: the work yields between entries and batches.
    expect(flood.n, fmt(flood)).toBeGreaterThanOrEqual(5);
    expect(flood.p95, fmt(flood)).toBeLessThanOrEqual(200 + idle.p95);
    expect(flood.max, fmt(flood)).toBeLessThanOrEqual(1000 + idle.max);
    expect(flood.loopP99, fmt(flood)).toBeLessThanOrEqual(200 + idle.loopP99);
    expect(flood.loopMax, fmt(flood)).toBeLessThanOrEqual(1000 + idle.loopMax);
    // Memory: the archive, the tar blocks in flight, the removal's batches — not the entries.
    expect(flood.peak, `RSS grew by ${(flood.peak / 2 ** 20).toFixed(0)} MiB`).toBeLessThan(128 * 2 ** 20);
  }, 120_000);
});
