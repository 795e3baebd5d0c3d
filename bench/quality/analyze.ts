/**
 * Where does ADQ's signal go? Reads the compressed results the quality benchmark left in its
 * cache (bins.json + manifest.json of each `adq-r<ρ>-s<seed>` and `dq-r<ρ>-s<seed>`) and
 * writes bench/quality/ANALYSIS.md:
 *  - how far ADQ moves the subset away from DQ's (items re-allocated between bins, set overlap),
 *  - the spread of RS and DS across the bins of a class (is there anything to rank?),
 *  - the stability of DS and of the allocation across seeds (bins are seed-free, so the same
 *    bin can be compared between seeds: a low rank correlation means the allocation follows
 *    the discriminator's training noise, not the data),
 *  - which score drives the allocation (rank correlation of allocation with RS and with DS).
 *
 *   npx tsx bench/quality/analyze.ts [--compressed <cache>/quality/compressed] [--ratio 0.1]
 *                                    [--variant name] [--out bench/quality/ANALYSIS.md]
 *
 * Cost: O(bins · seeds²) plus reading the manifests (O(selected) each).
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mean, pearson, ranks, spearman, std } from "../../test/support/stats.ts";

export { mean, pearson, ranks, spearman, std };

const HERE = dirname(fileURLToPath(import.meta.url));

export interface BinRow {
  class: number;
  bin: number;
  size: number;
  rs: number | null;
  ds: number | null;
  importance: number | null;
  allocated: number;
}

export interface SeedResult {
  seed: number;
  adqBins: BinRow[];
  dqBins: BinRow[];
  adqSelected: Set<number>;
  dqSelected: Set<number>;
}

// ---- statistics (pure): test/support/stats.ts ----

/** Rank correlation computed inside each class, averaged over classes (bins compete only within a class). */
export function withinClassSpearman(
  rows: BinRow[],
  x: (r: BinRow) => number,
  y: (r: BinRow) => number,
): number {
  const byClass = groupByClass(rows);
  const rhos: number[] = [];
  for (const list of byClass.values()) {
    const rho = spearman(list.map(x), list.map(y));
    if (Number.isFinite(rho)) rhos.push(rho);
  }
  return mean(rhos);
}

export function groupByClass(rows: BinRow[]): Map<number, BinRow[]> {
  const m = new Map<number, BinRow[]>();
  for (const r of rows) {
    const l = m.get(r.class) ?? [];
    l.push(r);
    m.set(r.class, l);
  }
  for (const l of m.values()) l.sort((p, q) => p.bin - q.bin);
  return m;
}

/** Fraction of the subset that ADQ places in other bins than DQ: Σ|a − d| / 2 / Σa. */
export function movedFraction(adq: BinRow[], dq: BinRow[]): number {
  const d = new Map(dq.map((r) => [`${r.class}/${r.bin}`, r.allocated]));
  let moved = 0;
  let total = 0;
  for (const r of adq) {
    const other = d.get(`${r.class}/${r.bin}`);
    if (other === undefined) throw new RangeError(`DQ has no bin ${r.class}/${r.bin}`);
    moved += Math.abs(r.allocated - other);
    total += r.allocated;
  }
  return total ? moved / 2 / total : 0;
}

export function overlap(a: Set<number>, b: Set<number>): number {
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return a.size ? n / a.size : 0;
}

/** Same bins (class, bin, size, RS) in every seed: then bins can be compared across seeds. */
export function binsIdentical(seeds: SeedResult[]): boolean {
  const key = (rows: BinRow[]) => rows.map((r) => `${r.class}/${r.bin}/${r.size}/${r.rs}`).join(";");
  return seeds.every((s) => key(s.adqBins) === key(seeds[0]!.adqBins));
}

/** Mean over seed pairs of the within-class rank correlation of a per-bin value. */
export function crossSeedStability(seeds: SeedResult[], value: (r: BinRow) => number): number {
  const rhos: number[] = [];
  for (let i = 0; i < seeds.length; i++)
    for (let j = i + 1; j < seeds.length; j++) {
      const b = groupByClass(seeds[j]!.adqBins);
      const perClass: number[] = [];
      for (const [c, list] of groupByClass(seeds[i]!.adqBins)) {
        const other = b.get(c);
        if (!other || other.length !== list.length) continue;
        const rho = spearman(list.map(value), other.map(value));
        if (Number.isFinite(rho)) perClass.push(rho);
      }
      if (perClass.length) rhos.push(mean(perClass));
    }
  return mean(rhos);
}

// ---- I/O ----

/** bins.json rows carry more fields (class name, z-scores); the analysis reads these. */
function readBins(dir: string): BinRow[] {
  return (JSON.parse(readFileSync(join(dir, "bins.json"), "utf8")) as { bins: BinRow[] }).bins;
}

function readSelected(dir: string): Set<number> {
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    items: Array<{ index: number }>;
  };
  return new Set(m.items.map((it) => it.index));
}

export function loadSeeds(compressed: string, ratio: number, variant: string | null): SeedResult[] {
  const suffix = variant ? `-${variant}` : "";
  const re = new RegExp(`^adq-r${ratio}-s(\\d+)${suffix.replace(/[.]/g, "\\.")}$`);
  const out: SeedResult[] = [];
  for (const name of readdirSync(compressed).sort()) {
    const m = re.exec(name);
    if (!m) continue;
    const seed = Number(m[1]);
    const dqDir = join(compressed, `dq-r${ratio}-s${seed}`);
    const adqDir = join(compressed, name);
    if (!existsSync(join(dqDir, "bins.json")) || !existsSync(join(adqDir, "bins.json"))) continue;
    out.push({
      seed,
      adqBins: readBins(adqDir),
      dqBins: readBins(dqDir),
      adqSelected: readSelected(adqDir),
      dqSelected: readSelected(dqDir),
    });
  }
  return out.sort((a, b) => a.seed - b.seed);
}

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "—");

export function renderAnalysis(seeds: SeedResult[], ratio: number, variant: string | null): string {
  const lines: string[] = [];
  const name = `ADQ${variant ? ` (${variant})` : ""} at ρ = ${ratio * 100}%`;
  lines.push(`# Where ADQ's signal goes — ${name}`, "");
  lines.push(
    "Generated by `npx tsx bench/quality/analyze.ts` from the compressed results of the quality",
    `benchmark (bins.json + manifest.json per run). Seeds: ${seeds.map((s) => s.seed).join(", ")}.`,
    "",
  );
  if (seeds.length === 0) {
    lines.push("No ADQ/DQ pair found.");
    return `${lines.join("\n")}\n`;
  }
  lines.push("## How different is ADQ's subset from DQ's?", "");
  lines.push(
    "| seed | items moved between bins vs DQ | overlap ADQ ∩ DQ | allocation per bin (min–max) | DQ per bin |",
  );
  lines.push("| ---: | ---: | ---: | ---: | ---: |");
  for (const s of seeds) {
    const a = s.adqBins.map((r) => r.allocated);
    const d = s.dqBins.map((r) => r.allocated);
    lines.push(
      `| ${s.seed} | ${f(100 * movedFraction(s.adqBins, s.dqBins), 1)}% | ${f(100 * overlap(s.adqSelected, s.dqSelected), 1)}% | ${Math.min(...a)}–${Math.max(...a)} | ${Math.min(...d)}–${Math.max(...d)} |`,
    );
  }
  if (seeds.length >= 2) {
    const dqPairs: number[] = [];
    for (let i = 0; i < seeds.length; i++)
      for (let j = i + 1; j < seeds.length; j++)
        dqPairs.push(overlap(seeds[i]!.dqSelected, seeds[j]!.dqSelected));
    lines.push(
      "",
      `For scale: two DQ subsets of different seeds overlap by ${f(100 * mean(dqPairs), 1)}% on average (a random ${ratio * 100}% subset overlaps another by about ${ratio * 100}%).`,
    );
  }
  lines.push("", "## Is there anything to rank? Spread of the raw scores across the bins of a class", "");
  lines.push(
    "Coefficient of variation (std / |mean|) across the bins of each class, averaged over classes, seed by seed:",
    "",
  );
  lines.push(
    "| seed | CV of RS | CV of DS | within-class ρ(RS, DS) | ρ(allocation, RS) | ρ(allocation, DS) |",
  );
  lines.push("| ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const s of seeds) {
    const cls = [...groupByClass(s.adqBins).values()];
    const cv = (v: (r: BinRow) => number) => mean(cls.map((l) => std(l.map(v)) / Math.abs(mean(l.map(v)))));
    lines.push(
      `| ${s.seed} | ${f(cv((r) => r.rs ?? Number.NaN))} | ${f(cv((r) => r.ds ?? Number.NaN))} | ${f(
        withinClassSpearman(
          s.adqBins,
          (r) => r.rs!,
          (r) => r.ds!,
        ),
      )} | ${f(
        withinClassSpearman(
          s.adqBins,
          (r) => r.allocated,
          (r) => r.rs!,
        ),
      )} | ${f(
        withinClassSpearman(
          s.adqBins,
          (r) => r.allocated,
          (r) => r.ds!,
        ),
      )} |`,
    );
  }
  if (seeds.length >= 2) {
    lines.push("", "## Stable across seeds?", "");
    const same = binsIdentical(seeds);
    lines.push(
      `Bins identical in every seed (GraphCut is seed-free): **${same ? "yes" : "no"}**${same ? "" : " — the cross-seed figures below compare bins by index and mean little"}.`,
      "Mean over seed pairs of the within-class rank correlation of the same bin's value in two seeds",
      "(1 = the seed does not matter; 0 = the ranking is noise):",
      "",
      "| per-bin value | cross-seed rank correlation |",
      "| --- | ---: |",
      `| RS (texture; deterministic) | ${f(crossSeedStability(seeds, (r) => r.rs!))} |`,
      `| DS (contrastive discriminator) | ${f(crossSeedStability(seeds, (r) => r.ds!))} |`,
      `| importance | ${f(crossSeedStability(seeds, (r) => r.importance!))} |`,
      `| allocation | ${f(crossSeedStability(seeds, (r) => r.allocated))} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      compressed: { type: "string" },
      "cache-dir": { type: "string" },
      ratio: { type: "string" },
      variant: { type: "string" },
      out: { type: "string" },
    },
  });
  const cache = values["cache-dir"] ?? process.env.ADQ_CACHE_DIR ?? join(homedir(), ".cache", "adq");
  const compressed = resolve(values.compressed ?? join(cache, "quality", "compressed"));
  const ratio = Number(values.ratio ?? "0.1");
  const variant = values.variant ?? null;
  const seeds = loadSeeds(compressed, ratio, variant);
  const out = resolve(values.out ?? join(HERE, variant ? `ANALYSIS-${variant}.md` : "ANALYSIS.md"));
  const text = renderAnalysis(seeds, ratio, variant);
  writeFileSync(`${out}.tmp`, text);
  renameSync(`${out}.tmp`, out);
  process.stdout.write(text);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
