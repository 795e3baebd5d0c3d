/**
 * Cost and seed stability of the diversity score (packages/core/src/contrastive.ts).
 *
 *   npx tsx bench/diversity.bench.ts              # time DS for 100 CIFAR-10-sized bins, both methods
 *   npx tsx bench/diversity.bench.ts --stability  # also: cross-seed Pearson of DS over 10 bins
 *
 * Bins are synthetic but CIFAR-shaped: n = 500 images, F = 112 non-negative features (a 64-d embedding
 * ⊕ 48 pooled channels in the real pipeline), a low-rank "class" structure whose spread varies by bin,
 * and two views = features + augmentation noise. Single-threaded; the load average is printed because
 * on a shared machine it inflates every figure.
 */
import { loadavg } from "node:os";
import { diversityScore, Rng } from "@adq/core";
import { classBins, type DiversityOptions } from "@adq/core/testing";
import { pearson } from "../test/support/stats.ts";

interface Bin {
  v1: Float32Array;
  v2: Float32Array;
  spread: number;
}

function makeBins(
  count: number,
  n: number,
  f: number,
  spreadLo: number,
  spreadHi: number,
  seed: number,
): Bin[] {
  const spreads = Array.from({ length: count }, (_, b) =>
    count === 1 ? spreadLo : spreadLo + ((spreadHi - spreadLo) * b) / (count - 1),
  );
  return classBins(new Rng(seed), n, f, spreads).map((bin, b) => ({ ...bin, spread: spreads[b]! }));
}

const N = 500;
const F = 112;
const load = () => loadavg()[0]!.toFixed(1);

function timeAll(bins: Bin[], opts: DiversityOptions): { total: number; scores: number[] } {
  const t0 = performance.now();
  const scores = bins.map((b) => diversityScore(b.v1, b.v2, N, F, opts));
  return { total: (performance.now() - t0) / 1000, scores };
}

console.log(`generating 100 bins of ${N}×${F} … (load average ${load()})`);
const bins = makeBins(100, N, F, 0.8, 1.2, 1);
for (const opts of [{ method: "infonce" }, { method: "untrained-head" }] as DiversityOptions[]) {
  timeAll(bins.slice(0, 3), opts); // warm up the JIT
  const { total } = timeAll(bins, opts);
  console.log(
    `${opts.method}: 100 bins in ${total.toFixed(1)} s = ${((1000 * total) / 100).toFixed(0)} ms/bin (load average ${load()})`,
  );
}

if (process.argv.includes("--stability")) {
  const seeds = [1, 2, 3];
  for (const [lo, hi] of [
    [0.9, 1.1],
    [0.97, 1.03],
  ] as const) {
    const stab = makeBins(10, N, F, lo, hi, 11);
    const spreads = stab.map((b) => b.spread);
    const cases: Array<[string, (seed: number, bin: number) => DiversityOptions]> = [
      ["infonce (same seed for all bins)", (seed) => ({ method: "infonce", seed })],
      ["infonce (a different seed per bin)", (seed, bin) => ({ method: "infonce", seed: seed * 1000 + bin })],
      ["untrained-head", (seed) => ({ method: "untrained-head", seed })],
    ];
    for (const [name, mk] of cases) {
      const runs = seeds.map((s) => stab.map((b, i) => diversityScore(b.v1, b.v2, N, F, mk(s, i))));
      const r = [pearson(runs[0]!, runs[1]!), pearson(runs[0]!, runs[2]!), pearson(runs[1]!, runs[2]!)];
      console.log(
        `spread ${lo}–${hi}, ${name}: cross-seed Pearson ${r.map((x) => x.toFixed(3)).join(" / ")}, ` +
          `vs true spread ${pearson(runs[0]!, spreads).toFixed(3)}`,
      );
    }
  }
}
