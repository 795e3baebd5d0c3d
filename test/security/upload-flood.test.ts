// An entry flood (issue 28: 200,001 tiny entries took 68.7 s, the gateway grew by 434 MiB
// and health probes timed out, mostly in Node's recursive rm of the refused extraction):
// refused at the entry cap, removed with bounded memory while health keeps answering.
// Scaled to a 20,000-entry cap so the suite stays short; bench/flood-probe.ts runs 200,001
// against `adq serve`.
import { readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { writeTar } from "@adq/gateway";
import { checkHealth } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tmp } from "../e2e/helpers.ts";
import { startTestServer, type TestServer } from "../services/helpers.ts";

const CAP = 20_000;

describe("an entry flood against a real gateway", () => {
  let t: TestServer;
  let uploadRoot: string;
  beforeAll(async () => {
    uploadRoot = tmp("adq-flood-uploads-");
    t = await startTestServer([tmp("adq-flood-root-")], tmp("adq-flood-cache-"), {
      uploadRoot,
      uploadLimits: { maxFiles: CAP },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`${CAP + 1} empty entries: INVALID_ARGUMENT at the cap, nothing kept, health answered throughout`, async () => {
    const gz = gzipSync(
      writeTar(Array.from({ length: CAP + 1 }, (_, i) => ({ name: `d/c${i % 10}/${i}.png` }))),
    );
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = 0;
    const latencies: number[] = [];
    let stop = false;
    const prober = (async () => {
      while (!stop) {
        const t0 = Date.now();
        expect(await checkHealth(t.srv.address, "", 5000)).toBe("SERVING");
        latencies.push(Date.now() - t0);
        peak = Math.max(peak, process.memoryUsage().rss - before);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const err = await t.acme
      .uploadDataset({ name: "flood" }, gz)
      .catch((e: unknown) => e as grpc.ServiceError);
    stop = true;
    await prober;
    expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((err as grpc.ServiceError).details).toMatch(new RegExp(`more than ${CAP} entries`));
    expect(readdirSync(uploadRoot).flatMap((d) => readdirSync(`${uploadRoot}/${d}`))).toEqual([]);
    expect(latencies.length).toBeGreaterThan(0);
    // Memory: the archive, the tar blocks in flight, the removal's batches — not the entries.
    expect(peak, `RSS grew by ${(peak / 2 ** 20).toFixed(0)} MiB`).toBeLessThan(128 * 2 ** 20);
    console.info(
      `entry flood: ${latencies.length} health probes, max ${Math.max(...latencies)} ms, RSS +${(peak / 2 ** 20).toFixed(0)} MiB`,
    );
  }, 120_000);
});
