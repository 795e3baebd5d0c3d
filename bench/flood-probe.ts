// Entry flood against `adq serve` (issue 28): uploads N tiny entries (default 200,001: one over
// the 200,000-entry cap) while probing grpc.health.v1 every 50 ms; prints the outcome, the
// server's peak RSS (/proc) and the slowest probe. Run: npx tsx bench/flood-probe.ts [N]
// (PROF=1: CPU profiles of the server in /tmp/hflood/prof).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { writeTar } from "@adq/gateway";
import { CompressionClient } from "@adq/service-common";
import { checkHealth } from "@adq/service-common/testing";

const N = Number(process.argv[2] ?? 200_001);
const tar = writeTar(Array.from({ length: N }, (_, i) => ({ name: `d/c${i % 10}/${i}.png` })));
const gz = gzipSync(tar);
console.log(`archive ${gz.length} bytes gz, ${tar.length} raw`);
const child = spawn(
  process.execPath,
  [
    ...(process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/hflood/prof"] : []),
    resolve("bin/adq.mjs"),
    "serve",
    "--port",
    "0",
    "--cache-dir",
    "/tmp/hflood/cache",
    "--data-root",
    "/tmp/hflood",
  ],
  {
    env: { ...process.env, ADQ_API_KEY: "k" },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const addr: string = await new Promise((r) => {
  child.stdout.on("data", (d) => {
    const m = /listening on (\S+)/.exec(String(d));
    if (m) r(m[1]!);
  });
});
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) / 1024;
console.log(`server ${addr} rss ${rss().toFixed(0)} MiB`);
let maxRss = 0;
let maxHealth = 0;
let probes = 0;
let stop = false;
const prober = (async () => {
  while (!stop) {
    const t = Date.now();
    await checkHealth(addr, "", 10_000).catch(() => {});
    const dt = Date.now() - t;
    maxHealth = Math.max(maxHealth, dt);
    maxRss = Math.max(maxRss, rss());
    probes++;
    await new Promise((r) => setTimeout(r, 50));
  }
})();
const t0 = Date.now();
const c = new CompressionClient(addr, { apiKey: "k", timeoutMs: 600_000 });
const res = await c.uploadDataset({ name: "flood" }, gz).then(
  (r) => `OK ${r.summary?.numItems}`,
  (e) => `ERR ${(e as Error).message.slice(0, 200)}`,
);
stop = true;
await prober;
console.log(
  `${res} in ${((Date.now() - t0) / 1000).toFixed(1)} s; max rss ${maxRss.toFixed(0)} MiB; max health ${maxHealth} ms over ${probes} probes`,
);
c.close();
child.kill("SIGTERM");
