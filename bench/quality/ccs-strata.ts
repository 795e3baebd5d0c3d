/**
 * Where along the difficulty range does CCS spend its budget? Reads the `ccs` block of compressed
 * results (manifest.json: per class, the equal-width strata over the kept difficulty range, their
 * sizes and how many were drawn from each) and prints, per result, the share of the budget and
 * of the kept population in each fifth of that range, averaged over classes. With one stratum the
 * draw is uniform over the kept items, so its budget share is, in expectation, the population
 * share; with k strata each gets ⌊B/k⌋ (small strata whole), so the budget spreads evenly over
 * the *range*, away from the dense easy end (bench/quality/FINDINGS.md, the strata lever).
 *
 *   npx tsx bench/quality/ccs-strata.ts <compressed dir> [<compressed dir> …] [--parts 5]
 *
 * Cost: O(classes · strata) per manifest.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Manifest } from "@adq/stages";

/** One class of a manifest's CCS block (packages/stages/src/outputs.ts). */
export type CcsClassStrata = NonNullable<Manifest["ccs"]>["classes"][number];

function checkParts(parts: number): void {
  if (!(Number.isSafeInteger(parts) && parts >= 1))
    throw new RangeError(`parts must be an integer ≥ 1, got ${parts}`);
}

/**
 * Shares of the kept population and of the drawn budget in `parts` equal parts of the kept range,
 * for one class whose k strata are equal-width: stratum j lies in part ⌊j·parts/k⌋, exact when
 * parts divides k (else a stratum straddling two parts counts wholly in the first).
 * @throws RangeError when the arrays differ in length, are empty, or parts < 1
 */
export function rangeShares(
  c: Pick<CcsClassStrata, "strataSizes" | "strataCounts">,
  parts: number,
): { population: number[]; budget: number[] } {
  const k = c.strataSizes.length;
  if (k === 0 || c.strataCounts.length !== k)
    throw new RangeError("strataSizes and strataCounts must be non-empty and equal in length");
  checkParts(parts);
  const population = new Array<number>(parts).fill(0);
  const budget = new Array<number>(parts).fill(0);
  const n = c.strataSizes.reduce((a, b) => a + b, 0);
  const b = c.strataCounts.reduce((x, y) => x + y, 0);
  for (let j = 0; j < k; j++) {
    const p = Math.floor((j * parts) / k);
    population[p]! += n > 0 ? c.strataSizes[j]! / n : 0;
    budget[p]! += b > 0 ? c.strataCounts[j]! / b : 0;
  }
  return { population, budget };
}

/** Class-averaged shares of one manifest's CCS block. */
export function manifestShares(
  manifest: Pick<Manifest, "ccs">,
  parts: number,
): { strata: number; population: number[]; budget: number[] } {
  checkParts(parts);
  const ccs = manifest.ccs;
  if (!ccs || ccs.classes.length === 0) throw new Error("manifest has no ccs block (not a CCS result)");
  const population = new Array<number>(parts).fill(0);
  const budget = new Array<number>(parts).fill(0);
  for (const c of ccs.classes) {
    const s = rangeShares(c, parts);
    for (let p = 0; p < parts; p++) {
      population[p]! += s.population[p]! / ccs.classes.length;
      budget[p]! += s.budget[p]! / ccs.classes.length;
    }
  }
  return { strata: ccs.strata, population, budget };
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { parts: { type: "string", default: "5" } },
    allowPositionals: true,
  });
  const parts = Number(values.parts);
  const pct = (xs: number[]) => xs.map((x) => `${(100 * x).toFixed(1)}%`).join(" | ");
  const head = Array.from(
    { length: parts },
    (_, p) => `${p + 1}/${parts}${p === 0 ? " (easiest)" : ""}`,
  ).join(" | ");
  console.log(`| result | strata | ${head} |`);
  console.log(`| --- | ---: | ${Array.from({ length: parts }, () => "---:").join(" | ")} |`);
  for (const dir of positionals) {
    const s = manifestShares(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")), parts);
    // Fewer strata than parts: the manifest cannot place the draws within a stratum; with one
    // stratum the draw is uniform, so its share is the kept items' share in expectation.
    if (s.strata < parts)
      console.log(`| ${dir} budget | ${s.strata} | fewer strata than parts: uniform within each stratum |`);
    else {
      console.log(`| ${dir} budget | ${s.strata} | ${pct(s.budget)} |`);
      console.log(`| ${dir} kept items | ${s.strata} | ${pct(s.population)} |`);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
