/**
 * Packs the subsets behind quality-bench run files into `bench/gpu/selections/`, so that a GPU
 * machine can retrain them under the published protocol (`bench/gpu/quality.sh`) without
 * recomputing any selection. One gzip'd minimal manifest per run: the items' ids and labels,
 * the data set's size and classes, and the sha256 of the full manifest the run trained on
 * (checked here against the run file's `manifest_sha256`, so a pack is exactly that subset).
 *
 *   npx tsx bench/gpu/export-selections.ts --runs bench/quality/runs-fast \
 *       --cache-dir /tmp/perf/qcache [--only random,ccs-fast128,adq-heldout128] [--seeds 0,1,2,3,4]
 *       [--train /tmp/cifar/cifar10/train: the data set of runs that did not record theirs]
 *
 * A run's full manifest is read from the quality bench's cache (<cache>/quality/compressed/<name>/)
 * and must hash to the run's sha256; random subsets missing there are recomputed (`adq compress
 * --method random` with the run's seed, seconds), and their sha256 is recorded beside the run's.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../..");
export const SELECTIONS_DIR = join(HERE, "selections");

interface RunFile {
  name: string;
  method: string;
  ratio: number;
  seed: number;
  variant: string | null;
  accuracy: number;
  manifest_sha256: string;
  /** Absent in runs made before it was recorded: CIFAR-10's (--train). */
  dataset?: { train: string };
}

interface Manifest {
  dataset: { size: number; classes: string[] };
  items: Array<{ id: string; label: number }>;
}

/** The row a run belongs to: method plus variant ("ccs-fast128"), the unit the GPU script pairs by seed. */
export function rowOf(r: Pick<RunFile, "method" | "variant">): string {
  return r.variant ? `${r.method}-${r.variant}` : r.method;
}

/** The minimal manifest train_subset.py needs, plus where it came from. */
export function packSelection(run: RunFile, manifest: Manifest, sha256: string): Buffer {
  const pack = {
    source_run: run.name,
    row: rowOf(run),
    seed: run.seed,
    ratio: run.ratio,
    manifest_sha256: sha256,
    // Differs from manifest_sha256 only for a recomputed random subset (see main()).
    run_manifest_sha256: run.manifest_sha256,
    accuracy_resnet20_40ep: run.accuracy,
    dataset: { size: manifest.dataset.size, classes: manifest.dataset.classes },
    items: manifest.items.map((i) => ({ id: i.id, label: i.label })),
  };
  // mtime 0 in the gzip header: the same subset always packs to the same bytes.
  return gzipSync(`${JSON.stringify(pack)}\n`, { level: 9 });
}

function compressedDir(cacheDir: string, r: RunFile): string {
  return join(
    cacheDir,
    "quality",
    "compressed",
    `${r.method}-r${r.ratio}-s${r.seed}${r.variant ? `-${r.variant}` : ""}`,
  );
}

/** Whether the quality bench compressed `dir` from `train` (its bench-compress.json stamp). */
function madeFrom(dir: string, train: string): boolean {
  const stamp = join(dir, "bench-compress.json");
  if (!existsSync(stamp)) return false;
  const { args } = JSON.parse(readFileSync(stamp, "utf8")) as { args: string[] };
  return args[1] === resolve(train);
}

function recomputeRandom(r: RunFile, train: string): string {
  const out = join(mkdtempSync(join(tmpdir(), "adq-export-")), "r");
  const p = spawnSync(
    process.execPath,
    [
      join(REPO, "bin", "adq.mjs"),
      "compress",
      r.dataset?.train ?? train,
      "--method",
      "random",
      "--ratio",
      String(r.ratio),
      "--seed",
      String(r.seed),
      "--drop",
      "0",
      "--out",
      out,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  if (p.status !== 0) throw new Error(`adq compress --method random failed for ${r.name}`);
  return out;
}

export function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      "cache-dir": { type: "string" },
      only: { type: "string" },
      seeds: { type: "string" },
      out: { type: "string", default: SELECTIONS_DIR },
      train: { type: "string", default: "/tmp/cifar/cifar10/train" },
    },
  });
  if (!values.runs || !values["cache-dir"])
    throw new Error("--runs <folder> and --cache-dir <dir> are required");
  const rows = values.only?.split(",").filter(Boolean);
  const seeds = values.seeds?.split(",").map(Number);
  mkdirSync(values.out!, { recursive: true });
  let n = 0;
  for (const f of readdirSync(values.runs)
    .filter((x) => x.endsWith(".json"))
    .sort()) {
    const r = JSON.parse(readFileSync(join(values.runs, f), "utf8")) as RunFile;
    if (rows && !rows.includes(rowOf(r))) continue;
    if (seeds && !seeds.includes(r.seed)) continue;
    let dir = compressedDir(values["cache-dir"], r);
    let scratch: string | null = null;
    // The cache names a result by method, ratio, seed and variant, not by data set: one made from
    // another data set (EuroSAT's random-r0.1-s3 beside CIFAR-10's) does not count.
    if (!existsSync(join(dir, "manifest.json")) || !madeFrom(dir, r.dataset?.train ?? values.train!)) {
      if (r.method !== "random") throw new Error(`${r.name}: no compressed result under ${dir}`);
      scratch = dir = recomputeRandom(r, values.train!);
    }
    const bytes = readFileSync(join(dir, "manifest.json"));
    const sha = createHash("sha256").update(bytes).digest("hex");
    if (scratch) rmSync(dirname(scratch), { recursive: true, force: true });
    // A recomputed random subset is today's `adq compress --method random` with the run's seed:
    // the same seeded rule, but manifest fields added since change its bytes, so its sha256 is
    // recorded beside the run's rather than required to equal it.
    if (sha !== r.manifest_sha256 && !scratch)
      throw new Error(
        `${r.name}: the manifest found hashes to ${sha}, the run trained on ${r.manifest_sha256}`,
      );
    if (sha !== r.manifest_sha256)
      process.stderr.write(
        `${r.name}: recomputed random subset (manifest ${sha.slice(0, 12)}…, the run's ${r.manifest_sha256.slice(0, 12)}…)\n`,
      );
    const file = join(values.out!, `${rowOf(r)}-r${r.ratio}-s${r.seed}.json.gz`);
    writeFileSync(file, packSelection(r, JSON.parse(bytes.toString("utf8")) as Manifest, sha));
    process.stderr.write(`${file}\n`);
    n++;
  }
  process.stderr.write(`${n} selection(s) packed\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exit(main(process.argv.slice(2)));
