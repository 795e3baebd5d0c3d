/**
 * Multi-tenant load on the cluster processes (issue 30): a nats-server, `--coordinators`
 * coordinator processes (`adq serve --nats --no-workers`) and `--workers` `adq serve --stage`
 * processes per stage; `--jobs` concurrent tiny jobs from three tenants with unequal loads
 * (half the jobs from tenant "heavy", the rest split between "medium" and "light"), each
 * tenant on its own demo slice. Every job's manifest is compared byte for byte with
 * `adq compress` of the same data set and parameters (one reference per data set and seed).
 *
 *   nice -n 10 npx tsx bench/load/tenants.ts [--jobs 54] [--workers 2] [--coordinators 1]
 *                                            [--concurrency 8] [--job-lookahead 16] [--json out.json]
 *
 * Reports lost jobs (not SUCCEEDED), divergent manifests, and per tenant the queue wait
 * (startTime − createTime from GetJob) and the end-to-end time (endTime − createTime),
 * p50/p95 by nearest rank, plus the load average before and after.
 */
import { writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CompressionClient } from "@adq/service-common";
import type { Job__Output as Job, Timestamp__Output as Timestamp } from "@adq/service-common/proto";
import { hashApiKey } from "@adq/service-common/testing";
import { killAll, startService } from "../../test/cluster/procs.ts";
import { compressCli } from "../../test/e2e/cli.ts";
import { demoSlice, tmp } from "../../test/e2e/helpers.ts";
import { download } from "../../test/services/helpers.ts";
import { startNatsServer } from "../../test/support/nats-server.ts";
import { benchFlags } from "../flags.ts";

const values = benchFlags(
  { jobs: 54, workers: 2, coordinators: 1, concurrency: 8, "job-lookahead": 16, seeds: 3 },
  ["json"],
);
const JOBS = values.jobs;
const WORKERS = values.workers;
const COORDINATORS = values.coordinators;
const SEEDS = values.seeds;
const STAGES = ["features", "binning", "scoring", "sampling", "assemble"] as const;

const TENANTS = [
  { id: "heavy", share: 0.5, classes: 2, perClass: 12 },
  { id: "medium", share: 0.3, classes: 3, perClass: 6 },
  { id: "light", share: 0.2, classes: 2, perClass: 6 },
] as const;

const ms = (t: Timestamp | null | undefined) =>
  t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : NaN;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const flags = (seed: number) => [
  "--method",
  "adq-paper",
  "--ratio",
  "0.25",
  "--bins",
  "2",
  "--seed",
  String(seed),
];

async function main(): Promise<void> {
  const before = loadavg();
  const t0 = Date.now();
  const nats = await startNatsServer();
  const data = new Map<string, string>(TENANTS.map((t) => [t.id, demoSlice(t.classes, t.perClass)]));
  // References: adq compress per data set and seed, one at a time (started now, awaited at the end).
  const refs = new Map<string, Promise<Buffer>>();
  let chain: Promise<unknown> = Promise.resolve();
  for (const [tenant, dir] of data)
    for (let seed = 0; seed < SEEDS; seed++) {
      const out = join(tmp("adq-load-ref-"), "out");
      const p = chain.then(async () => {
        const r = await compressCli(dir, ["--threads", "1", ...flags(seed)], { out });
        if (r.code !== 0) throw new Error(`adq compress failed: ${r.stderr}`);
        return readFile(join(out, "manifest.json"));
      });
      chain = p.catch(() => {});
      refs.set(`${tenant}/${seed}`, p);
    }
  const keysFile = join(tmp("adq-load-keys-"), "api-keys.json");
  await writeFile(
    keysFile,
    JSON.stringify({
      tenants: TENANTS.map((t) => ({
        id: t.id,
        keys: [hashApiKey(`key-${t.id}`)],
        quotas: { concurrent_jobs: JOBS },
      })),
    }),
  );
  const common = ["--nats", nats.url, "--insecure-nats", "--threads", "1", "--ack-wait-ms", "30000"];
  try {
    const coordinators = await Promise.all(
      Array.from({ length: COORDINATORS }, (_, i) =>
        startService(
          `coordinator-${i}`,
          [
            "serve",
            ...common,
            "--no-workers",
            "--port",
            "0",
            "--api-keys",
            keysFile,
            "--concurrency",
            String(values.concurrency),
            "--job-lookahead",
            String(values["job-lookahead"]),
            ...[...data.values()].flatMap((d) => ["--data-root", d]),
          ],
          {},
          300_000,
        ),
      ),
    );
    await Promise.all(
      STAGES.flatMap((s) =>
        Array.from({ length: WORKERS }, (_, i) =>
          startService(`${s}-${i}`, ["serve", "--stage", s, ...common, "--port", "0"], {}, 300_000),
        ),
      ),
    );
    const clients = new Map<string, CompressionClient[]>(
      TENANTS.map((t) => [
        t.id,
        coordinators.map(
          (c) => new CompressionClient(c.address, { apiKey: `key-${t.id}`, timeoutMs: 30_000 }),
        ),
      ]),
    );
    // The job list: tenants interleaved in submission order by their shares.
    const plan: Array<{ tenant: string; seed: number }> = [];
    const counts = TENANTS.map((t) => Math.round(t.share * JOBS));
    counts[0]! += JOBS - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; plan.length < JOBS; i++)
      TENANTS.forEach((t, k) => {
        if (i < counts[k]!) plan.push({ tenant: t.id, seed: i % SEEDS });
      });
    const started = Date.now();
    const submitted = await Promise.all(
      plan.map(async (p, i) => {
        const cs = clients.get(p.tenant)!;
        const client = cs[i % cs.length]!;
        const { job } = await client.createJob({
          dataset: { uri: pathToFileURL(data.get(p.tenant)!).href },
          params: { ratio: 0.25, bins: 2, seed: p.seed, method: "METHOD_ADQ_PAPER" },
        });
        return { ...p, id: job.id, client };
      }),
    );
    const ended = await Promise.all(
      submitted.map(async (s) => {
        const until = Date.now() + 30 * 60_000;
        for (;;) {
          const job: Job = await s.client.getJob(s.id);
          if (["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"].includes(job.state))
            return { ...s, job };
          if (Date.now() > until) return { ...s, job };
          await new Promise((r) => setTimeout(r, 500));
        }
      }),
    );
    const wallMs = Date.now() - started;
    let divergent = 0;
    const rows: Array<{ tenant: string; ok: boolean; waitMs: number; totalMs: number }> = [];
    for (const e of ended) {
      const ok = e.job.state === "JOB_STATE_SUCCEEDED";
      const same =
        ok &&
        (await download(e.client, e.id, "manifest.json")).equals(await refs.get(`${e.tenant}/${e.seed}`)!);
      if (ok && !same) divergent++;
      rows.push({
        tenant: e.tenant,
        ok,
        waitMs: ms(e.job.startTime) - ms(e.job.createTime),
        totalMs: ms(e.job.endTime) - ms(e.job.createTime),
      });
    }
    const lost = rows.filter((r) => !r.ok).length;
    const perTenant = TENANTS.map((t) => {
      const rs = rows.filter((r) => r.tenant === t.id);
      const w = rs.map((r) => r.waitMs);
      const e2e = rs.map((r) => r.totalMs);
      return {
        tenant: t.id,
        images: t.classes * t.perClass,
        jobs: rs.length,
        waitP50Ms: pct(w, 50),
        waitP95Ms: pct(w, 95),
        e2eP50Ms: pct(e2e, 50),
        e2eP95Ms: pct(e2e, 95),
      };
    });
    // Which coordinator ran each job (its job_succeeded lines): the jobs are shared.
    const jobsPerCoordinator = coordinators.map((c) => c.find((l) => l.event === "job_succeeded").length);
    const after = loadavg();
    const summary = {
      bench: "load-tenants",
      jobs: JOBS,
      tenants: TENANTS.length,
      workersPerStage: WORKERS,
      coordinators: COORDINATORS,
      coordinatorConcurrency: values.concurrency,
      jobLookahead: values["job-lookahead"],
      jobsPerCoordinator,
      wallMs,
      lost,
      divergent,
      perTenant,
      loadavgBefore: before.map((x) => +x.toFixed(2)),
      loadavgAfter: after.map((x) => +x.toFixed(2)),
      totalSeconds: Math.round((Date.now() - t0) / 1000),
    };
    console.log("| tenant | images/job | jobs | queue wait p50 ms | p95 ms | end-to-end p50 ms | p95 ms |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of perTenant)
      console.log(
        `| ${r.tenant} | ${r.images} | ${r.jobs} | ${r.waitP50Ms} | ${r.waitP95Ms} | ${r.e2eP50Ms} | ${r.e2eP95Ms} |`,
      );
    console.log(
      `jobs ${JOBS}, wall ${(wallMs / 1000).toFixed(1)} s, lost ${lost}, divergent ${divergent}, per coordinator ${jobsPerCoordinator.join("/")}`,
    );
    console.log(JSON.stringify(summary));
    if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);
    for (const cs of clients.values()) for (const c of cs) c.close();
    if (lost || divergent) process.exitCode = 1;
  } finally {
    killAll();
    await nats.stop();
  }
}

await main();
