/**
 * The cross-fitted softmax head (CCS's held-out difficulty, issue 33): the blocked loops of
 * packages/core/src/softmax-head.ts against the plain loops they replaced
 * (softmax-head.reference.ts), on the demo's shape — n items of D = 1,280 (EfficientNet-Lite0's
 * embedding, projected to 128), C = 10, 5 folds × (100 epochs + 30 power iterations) — in the
 * same process, interleaved rounds, best of each. Fails unless both give the same bits.
 *
 *   npx tsx bench/head.bench.ts [--n 2000] [--rounds 3] [--seed 0]
 *
 * The data: seeded Gaussian clusters (class centres on a few coordinates, non-negative like
 * post-ReLU pooled features), float32 as the features stage stores them.
 */
import { cpus, loadavg } from "node:os";
import { crossFitSoftmaxHead, Rng } from "@adq/core";
import { referenceCrossFitSoftmaxHead } from "@adq/core/testing";
import { benchFlags } from "./flags.ts";

const { n, d: D, rounds, seed } = benchFlags({ n: 2000, d: 1280, rounds: 3, seed: 0 });
const C = 10;

const rng = new Rng(seed);
const x = new Float32Array(n * D);
const y = new Int32Array(n);
for (let i = 0; i < n; i++) {
  y[i] = rng.nextInt(C);
  for (let j = 0; j < D; j++) {
    const g = Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
    x[i * D + j] = Math.max(0, (j % C === y[i] ? 1 : 0) + g);
  }
}
const opts = { folds: 5, epochs: 100, l2: 1e-3, seed };
const load0 = loadavg()[0]!;

function time(f: () => { logits: Float64Array }): { ms: number; cpuMs: number; logits: Float64Array } {
  const t = performance.now();
  const u = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(u);
  return { ms: performance.now() - t, cpuMs: (c.user + c.system) / 1000, logits: r.logits };
}

const best = { ref: Number.POSITIVE_INFINITY, fast: Number.POSITIVE_INFINITY };
const bestCpu = { ref: Number.POSITIVE_INFINITY, fast: Number.POSITIVE_INFINITY };
for (let r = 0; r < rounds; r++) {
  const a = time(() => referenceCrossFitSoftmaxHead(x, y, C, opts));
  const b = time(() => crossFitSoftmaxHead(x, y, C, opts));
  const ba = Buffer.from(a.logits.buffer);
  const bb = Buffer.from(b.logits.buffer);
  if (!ba.equals(bb)) {
    let i = 0;
    while (a.logits[i] === b.logits[i]) i++;
    throw new Error(`round ${r}: logits differ first at ${i}: ${a.logits[i]} vs ${b.logits[i]}`);
  }
  best.ref = Math.min(best.ref, a.ms);
  best.fast = Math.min(best.fast, b.ms);
  bestCpu.ref = Math.min(bestCpu.ref, a.cpuMs);
  bestCpu.fast = Math.min(bestCpu.fast, b.cpuMs);
  process.stderr.write(
    `round ${r + 1}/${rounds}: reference ${a.ms.toFixed(0)} ms, blocked ${b.ms.toFixed(0)} ms\n`,
  );
}
const rows = [
  `Cross-fitted head, n = ${n}, D = ${D} → 128, C = ${C}, 5 folds × 100 epochs; ${cpus().length} cores (${cpus()[0]?.model}), load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}; best of ${rounds} interleaved rounds; logits bit-identical in every round.`,
  "",
  "| implementation | wall ms | CPU ms | vs reference (CPU) |",
  "| --- | ---: | ---: | ---: |",
  `| reference (plain loops) | ${best.ref.toFixed(0)} | ${bestCpu.ref.toFixed(0)} | 1.00× |`,
  `| blocked (softmax-head.ts) | ${best.fast.toFixed(0)} | ${bestCpu.fast.toFixed(0)} | ${(bestCpu.ref / bestCpu.fast).toFixed(2)}× |`,
];
process.stdout.write(`${rows.join("\n")}\n`);
