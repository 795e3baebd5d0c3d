/**
 * Load benchmark of the gateway: N concurrent small jobs (a slice of the bundled demo set)
 * through CompressionService over gRPC, on one machine, in
 *   embedded  `adq serve`: LocalBus + FsArtifactStore + MemoryJobStore, every stage in-process
 *   cluster   `adq serve --nats`: NatsBus + KV + Object Store on a local nats-server, every
 *             stage in-process (same process layout: the ratio isolates the adapters' cost)
 *   split     (with --split) `adq serve --nats --no-workers` + one `adq serve --stage` process
 *             per stage: the full cluster topology
 * and reports jobs/minute, p50/p99 end-to-end latency (CreateJob → terminal event of
 * WatchJob), and the overhead of cluster mode against embedded mode for the same jobs
 * (same parameters and seeds; each mode starts from an empty stage cache), measured in the
 * same run.
 *
 *   npx tsx bench/load/run.ts [--jobs 12] [--sequential 3] [--classes 2] [--per-class 12]
 *                             [--runner-concurrency 4] [--nats nats://…] [--split]
 *                             [--json out.json]
 *
 * Without --nats a nats-server is started (test/support/nats-server.ts; it must be
 * installed: scripts/setup.sh). Prints a table and one JSON line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_MODEL, REPO_ROOT } from "@adq/cli";
import { startClusterGateway } from "@adq/cluster";
import { startAllInOne } from "@adq/gateway";
import { ApiKeyAuthenticator, CompressionClient } from "@adq/service-common";
import { hashApiKey, silentLogger } from "@adq/service-common/testing";
import { demoSlice, tmp } from "../../test/e2e/helpers.ts";
import { startNatsServer } from "../../test/support/nats-server.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "12" },
    sequential: { type: "string", default: "3" },
    classes: { type: "string", default: "2" },
    "per-class": { type: "string", default: "12" },
    "runner-concurrency": { type: "string", default: "4" },
    nats: { type: "string" },
    split: { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const N = Number(values.jobs);
const SEQ = Number(values.sequential);
const RUNNERS = Number(values["runner-concurrency"]);
const KEY = "bench-key";

interface Target {
  address: string;
  close(): Promise<void>;
}

interface PhaseResult {
  jobs: number;
  wallMs: number;
  jobsPerMinute: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  failed: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

async function runJob(
  client: CompressionClient,
  uri: string,
  seed: number,
): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now();
  const { job } = await client.createJob({ dataset: { uri }, params: { ratio: 0.25, bins: 2, seed } });
  let state = "";
  // Bounded: a job that never ends fails the benchmark instead of hanging it.
  for await (const ev of client.watchJob(job.id, 0, AbortSignal.timeout(600_000)))
    if (ev.terminal) state = ev.terminal.state;
  return { ms: performance.now() - t0, ok: state === "JOB_STATE_SUCCEEDED" };
}

async function phase(
  client: CompressionClient,
  uri: string,
  seeds: number[],
  concurrent: boolean,
): Promise<PhaseResult> {
  const t0 = performance.now();
  const results = concurrent
    ? await Promise.all(seeds.map((s) => runJob(client, uri, s)))
    : await seeds.reduce<Promise<Array<{ ms: number; ok: boolean }>>>(
        async (acc, s) => [...(await acc), await runJob(client, uri, s)],
        Promise.resolve([]),
      );
  const wallMs = performance.now() - t0;
  const lat = results.map((r) => r.ms).sort((a, b) => a - b);
  return {
    jobs: seeds.length,
    wallMs: Math.round(wallMs),
    jobsPerMinute: Number(((seeds.length / wallMs) * 60_000).toFixed(1)),
    p50Ms: Math.round(percentile(lat, 50)),
    p99Ms: Math.round(percentile(lat, 99)),
    meanMs: Math.round(lat.reduce((a, b) => a + b, 0) / lat.length),
    failed: results.filter((r) => !r.ok).length,
  };
}

function spawnServe(args: string[], children: ChildProcess[]): Promise<string> {
  const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "adq.mjs"), "serve", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ADQ_API_KEY: KEY },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => {
    err = (err + d).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`adq serve ${args.join(" ")} did not start\n${err}`)),
      60_000,
    );
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => reject(new Error(`adq serve exited (${code})\n${err}`)));
  });
}

async function main(): Promise<void> {
  const data = demoSlice(Number(values.classes), Number(values["per-class"]));
  const uri = pathToFileURL(data).href;
  // A tenant whose quota lets every job of the load phase in at once.
  const tenants = [{ id: "bench", keys: [hashApiKey(KEY)], quotas: { concurrent_jobs: N + 10 } }];
  const auth = new ApiKeyAuthenticator(tenants);
  const keysFile = join(tmp("adq-bench-keys-"), "keys.json");
  writeFileSync(keysFile, JSON.stringify({ tenants }));
  const nats = values.nats ? undefined : await startNatsServer();
  const natsUrl = values.nats ?? nats!.url;
  const children: ChildProcess[] = [];
  const cleanup = () => {
    for (const c of children) c.kill("SIGKILL");
  };
  process.once("exit", cleanup);

  const modes: Array<{ name: string; start(): Promise<Target> }> = [
    {
      name: "embedded",
      start: async () => {
        const s = await startAllInOne({
          address: "127.0.0.1:0",
          auth,
          dataRoots: [data],
          cacheDir: tmp("adq-bench-cache-"),
          defaultModel: DEFAULT_MODEL,
          concurrency: RUNNERS,
          threads: 1,
          log: silentLogger,
        });
        return { address: s.address, close: () => s.close(5000) };
      },
    },
    {
      name: "cluster",
      start: async () => {
        const s = await startClusterGateway({
          nats: natsUrl,
          insecureNats: true,
          namespace: `bench${Date.now().toString(36)}`,
          address: "127.0.0.1:0",
          auth,
          dataRoots: [data],
          defaultModel: DEFAULT_MODEL,
          concurrency: RUNNERS,
          threads: 1,
          log: silentLogger,
        });
        return { address: s.address, close: () => s.close(5000) };
      },
    },
  ];
  if (values.split)
    modes.push({
      name: "split",
      start: async () => {
        const ns = `split${Date.now().toString(36)}`;
        const common = [
          "--nats",
          natsUrl,
          "--insecure-nats",
          "--namespace",
          ns,
          "--threads",
          "1",
          "--log-level",
          "warn",
        ];
        const mine: ChildProcess[] = [];
        const [address] = await Promise.all([
          spawnServe(
            [
              ...common,
              ...["--no-workers", "--port", "0", "--data-root", data, "--api-keys", keysFile],
              ...["--concurrency", String(RUNNERS)],
            ],
            mine,
          ),
          ...["features", "binning", "scoring", "sampling", "assemble"].map((s) =>
            spawnServe([...common, "--stage", s, "--port", "0"], mine),
          ),
        ]);
        children.push(...mine);
        return {
          address: address!,
          close: async () => {
            await Promise.all(
              mine.map(
                (c) =>
                  new Promise<void>((r) => {
                    c.once("exit", () => r());
                    c.kill("SIGTERM");
                  }),
              ),
            );
          },
        };
      },
    });

  const results: Record<string, { sequential: PhaseResult; load: PhaseResult }> = {};
  for (const mode of modes) {
    const target = await mode.start();
    const client = new CompressionClient(target.address, { apiKey: KEY, timeoutMs: 120_000 });
    try {
      await runJob(client, uri, 9999); // warm-up: model load, first compile of every stage
      const sequential = await phase(
        client,
        uri,
        Array.from({ length: SEQ }, (_, i) => 1 + i),
        false,
      );
      const load = await phase(
        client,
        uri,
        Array.from({ length: N }, (_, i) => 100 + i),
        true,
      );
      results[mode.name] = { sequential, load };
      process.stderr.write(`${mode.name}: done\n`);
    } finally {
      client.close();
      await target.close();
    }
  }
  await nats?.stop();

  const e = results.embedded!;
  const ratio = (m: string) => {
    const r = results[m]!;
    return {
      singleJobLatency: Number((r.sequential.p50Ms / e.sequential.p50Ms).toFixed(2)),
      loadP50: Number((r.load.p50Ms / e.load.p50Ms).toFixed(2)),
      throughput: Number((e.load.jobsPerMinute / r.load.jobsPerMinute).toFixed(2)),
    };
  };
  const overhead: Record<string, ReturnType<typeof ratio>> = {};
  for (const m of Object.keys(results)) if (m !== "embedded") overhead[m] = ratio(m);

  const header = "| mode | phase | jobs | wall s | jobs/min | p50 ms | p99 ms | mean ms | failed |";
  const rows = [header, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"];
  for (const [m, r] of Object.entries(results))
    for (const [p, x] of Object.entries(r))
      rows.push(
        `| ${m} | ${p === "load" ? `${N} concurrent` : "sequential"} | ${x.jobs} | ${(x.wallMs / 1000).toFixed(1)} | ${x.jobsPerMinute} | ${x.p50Ms} | ${x.p99Ms} | ${x.meanMs} | ${x.failed} |`,
      );
  const oRows = [
    "| mode vs embedded | single-job latency (p50) | p50 under load | throughput (embedded / mode) |",
    "| --- | ---: | ---: | ---: |",
    ...Object.entries(overhead).map(
      ([m, o]) => `| ${m} | ${o.singleJobLatency}× | ${o.loadP50}× | ${o.throughput}× |`,
    ),
  ];
  const json = {
    bench: "load",
    dataset: { classes: Number(values.classes), perClass: Number(values["per-class"]) },
    jobs: N,
    sequential: SEQ,
    runnerConcurrency: RUNNERS,
    cpus: cpus().length,
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    results,
    overhead,
  };
  process.stdout.write(`${rows.join("\n")}\n\n${oRows.join("\n")}\n\n${JSON.stringify(json)}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(json, null, 2)}\n`);
  cleanup();
}

await main();
