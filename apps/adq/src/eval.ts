/**
 * `adq eval`: does the subset train a good model? Trains a model from scratch on the
 * selected images (the original images, or the MAE reconstructions when patches were dropped
 * and `--use-reconstructed` is given) and reports its test accuracy.
 *
 * Training is PyTorch, run by eval/train_subset.py under Debian's Python
 * (`apt-get install python3-torch python3-torchvision`); this module checks the inputs first
 * (so a wrong data set fails in a second, not after an hour), streams the trainer's progress
 * to stderr and parses its one-line JSON result.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { type DatasetDescription, openDataset } from "@adq/ml";
import type { Manifest } from "@adq/stages";
import { onePositional, parseCommand, switchFlags, valueFlags } from "./flags.ts";
import { DECIMAL_INTEGER } from "./numbers.ts";
import { UsageError } from "./output-dir.ts";
import { DEFAULT_MAE, REPO_ROOT } from "./paths.ts";
import { reconstruct } from "./reconstruct.ts";

export const TRAINER = join(REPO_ROOT, "eval", "train_subset.py");
export const DEFAULT_PYTHON = "/usr/bin/python3";
export const INSTALL_TORCH = "apt-get install python3-torch python3-torchvision";

export const EVAL_USAGE = `  adq eval <compressed-dir|manifest.json> --test <dataset> [--train <dataset>] [options]
                                       train a model from scratch on the subset, print its test accuracy
`;

export const EVAL_HELP = `
eval options (defaults in brackets). Needs ${DEFAULT_PYTHON} with PyTorch (Debian: ${INSTALL_TORCH}).
  --train <dataset>      the data set the subset was selected from [the manifest's dataset path]
  --test <dataset>       test set: ImageFolder, or CIFAR-10 binary folder (its test_batch.bin)
  --epochs <n>           [40]
  --seed <n>             training seed, independent of the selection seed [0]
  --use-reconstructed    when patches were dropped, train on the MAE reconstructions [original images]
  --mae <onnx>           MAE for --use-reconstructed [${DEFAULT_MAE}]
  --threads <n>          PyTorch / ONNX Runtime threads [all cores]
  --eval-every <k>       also measure test accuracy every k epochs [only at the end]
  --size <px>            image side the model trains and tests at; other sizes are resized [32]
  --cache-dir <dir>      decoded-pixel cache [$ADQ_CACHE_DIR or ~/.cache/adq]
  --json                 print the whole result as one JSON object
  Model: CIFAR ResNet-20; SGD lr 0.1, momentum 0.9, wd 5e-4, cosine; crop (pad 4) + flip; batch 128.
  $ADQ_PYTHON overrides the Python [${DEFAULT_PYTHON}].
`;

export interface EvalOptions {
  /** A compressed folder (holding manifest.json) or a manifest file. */
  target: string;
  /** Default: the manifest's dataset path. */
  train?: string;
  test: string;
  epochs: number;
  seed: number;
  useReconstructed: boolean;
  mae: string;
  threads?: number;
  evalEvery?: number;
  /** Image side the trainer resizes to (train and test); the trainer's default is 32. */
  size?: number;
  /** Where the trainer caches decoded pixels; null: no cache. */
  cacheDir: string | null;
  python: string;
  /** Receives the trainer's (and reconstruction's) progress text. */
  onProgress: (text: string) => void;
  signal?: AbortSignal;
}

/** One trainer epoch as reported by eval/train_subset.py. */
export interface EpochRow {
  epoch: number;
  loss: number;
  train_accuracy: number;
  lr: number;
  seconds: number;
  test_accuracy?: number;
}

/** eval/train_subset.py's JSON line. */
export interface TrainerResult {
  test_accuracy: number;
  epochs: number;
  train_images: number;
  test_images: number;
  seconds: number;
  seed: number;
  per_epoch: EpochRow[];
  train_seconds: number;
  model: string;
  threads: number;
  torch: string;
  [k: string]: unknown;
}

export interface EvalResult extends TrainerResult {
  manifest: string;
  manifest_sha256: string;
  method: string;
  ratio: number;
  selection_seed: number;
  drop: number;
  selected: number;
  train: string;
  test: string;
  trained_on: "original" | "reconstructed";
  reconstruct_seconds: number | null;
  wall_seconds: number;
}

/** The trainer exited with an error other than bad input. */
export class TrainerError extends Error {
  override readonly name = "TrainerError";
}

export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
}

function torchMissing(python: string, why: string): UsageError {
  return new UsageError(
    `adq eval trains with PyTorch, but ${why}. Install Debian's PyTorch: ${INSTALL_TORCH}` +
      (python === DEFAULT_PYTHON ? "" : ` (or point ADQ_PYTHON at a Python that has torch)`),
  );
}

/** Checks that `python` runs and imports torch, numpy and Pillow; returns torch's version. */
export function checkPyTorch(python: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, ["-c", "import torch, numpy, PIL; print(torch.__version__)"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        torchMissing(
          python,
          code === "ENOENT" ? `${python} does not exist` : `${python} cannot run (${code})`,
        ),
      );
    });
    child.on("close", (code) => {
      if (code === 0) return resolvePromise(out.trim());
      const last = err.trim().split("\n").pop() ?? `exit code ${code}`;
      reject(torchMissing(python, `${python} cannot import it (${last})`));
    });
  });
}

const exists = async (path: string): Promise<boolean> => (await stat(path).catch(() => null)) !== null;

/** Reads the manifest of a compressed folder or a manifest file; UsageError if it is not one. */
export async function loadManifest(
  target: string,
): Promise<{ file: string; dir: string; manifest: Manifest }> {
  const path = resolve(target);
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new UsageError(
      `${path} does not exist (expected an adq compress result folder or its manifest.json)`,
    );
  }
  const file = isDir ? join(path, "manifest.json") : path;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UsageError(`${path} holds no manifest.json: is it the output folder of adq compress?`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  const ok =
    typeof manifest === "object" &&
    manifest !== null &&
    Array.isArray(manifest.items) &&
    typeof manifest.dataset === "object" &&
    manifest.dataset !== null &&
    Array.isArray(manifest.dataset.classes) &&
    typeof manifest.dataset.size === "number";
  if (!ok) throw new UsageError(`${file} is not an adq manifest (no items or dataset description)`);
  if (manifest.items.length === 0) throw new UsageError(`${file} selects no images`);
  return { file, dir: dirname(file), manifest };
}

function listNames(names: readonly string[]): string {
  return names.length <= 12 ? names.join(", ") : `${names.slice(0, 12).join(", ")}, … (${names.length})`;
}

/** The manifest must describe this data set: same format, classes, size, and every item in it. */
export function checkSameDataset(manifest: Manifest, desc: DatasetDescription): void {
  const m = manifest.dataset;
  const where = `--train ${desc.root}`;
  if (m.format && m.format !== desc.format)
    throw new UsageError(`the manifest was made from a ${m.format} data set, but ${where} is ${desc.format}`);
  if (JSON.stringify(m.classes) !== JSON.stringify(desc.classes))
    throw new UsageError(
      `data set mismatch: the manifest's classes (${listNames(m.classes)}) differ from those of ${where} (${listNames(desc.classes)})`,
    );
  if (m.size !== desc.size)
    throw new UsageError(
      `data set mismatch: the manifest was made from ${m.size} images, ${where} has ${desc.size}`,
    );
  const byId = new Map(desc.items.map((it, i) => [it.id, i]));
  for (const it of manifest.items) {
    const i = byId.get(it.id);
    if (i === undefined)
      throw new UsageError(`data set mismatch: the manifest's image ${it.id} is not in ${where}`);
    if (desc.items[i]!.label !== it.label)
      throw new UsageError(
        `data set mismatch: the manifest labels ${it.id} as ${m.classes[it.label]}, ${where} as ${desc.classes[desc.items[i]!.label]}`,
      );
  }
}

async function openTestSet(path: string): Promise<DatasetDescription> {
  const root = resolve(path);
  let names: string[] = [];
  try {
    names = await readdir(root);
  } catch {
    // openDataset names the problem.
  }
  const reader = await openDataset(root, names.includes("test_batch.bin") ? { split: "test" } : {});
  return reader.describe();
}

function runTrainer(
  python: string,
  args: string[],
  onProgress: (text: string) => void,
  signal?: AbortSignal,
): Promise<TrainerResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, [TRAINER, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
    });
    let out = "";
    let errTail = "";
    const onAbort = () => child.kill("SIGTERM");
    signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      const s = String(d);
      errTail = (errTail + s).slice(-4000);
      onProgress(s);
    });
    child.on("error", (e) => reject(torchMissing(python, `${python} cannot run (${e.message})`)));
    child.on("close", (code, sig) => {
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted) return reject(new InterruptedError("interrupted"));
      const last =
        errTail
          .trim()
          .split("\n")
          .pop()
          ?.replace(/^train_subset: /, "") ?? "";
      if (code === 2) return reject(new UsageError(last || "the trainer rejected its input"));
      if (code === 3) return reject(torchMissing(python, `${python} cannot import it (${last})`));
      if (code !== 0)
        return reject(new TrainerError(`training failed (${sig ?? `exit code ${code}`}): ${last}`));
      const line = out.trim().split("\n").pop() ?? "";
      try {
        const res = JSON.parse(line) as TrainerResult;
        if (typeof res.test_accuracy !== "number") throw new Error("no test_accuracy");
        resolvePromise(res);
      } catch (e) {
        reject(
          new TrainerError(`the trainer printed no result (${(e as Error).message}): ${line.slice(0, 200)}`),
        );
      }
    });
  });
}

/** Validates the inputs, reconstructs if asked, trains, and returns the trainer's result plus context. */
export async function evaluate(o: EvalOptions): Promise<EvalResult> {
  const started = Date.now();
  if (!Number.isInteger(o.epochs) || o.epochs < 1)
    throw new UsageError(`--epochs must be an integer ≥ 1, got ${o.epochs}`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0)
    throw new UsageError(`--seed must be a non-negative integer, got ${o.seed}`);
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1))
    throw new UsageError(`--threads must be an integer ≥ 1, got ${o.threads}`);
  if (o.evalEvery !== undefined && (!Number.isInteger(o.evalEvery) || o.evalEvery < 0))
    throw new UsageError(`--eval-every must be an integer ≥ 0, got ${o.evalEvery}`);
  if (o.size !== undefined && (!Number.isInteger(o.size) || o.size < 8 || o.size > 1024))
    throw new UsageError(`--size must be an integer in [8, 1024], got ${o.size}`);
  const { file, dir, manifest } = await loadManifest(o.target);
  const trainPath = resolve(o.train ?? manifest.dataset.path);
  if (o.train === undefined && !(await exists(trainPath)))
    throw new UsageError(
      `the manifest's data set ${trainPath} does not exist here: pass the data set it was made from with --train`,
    );
  const desc = await (await openDataset(trainPath)).describe();
  checkSameDataset(manifest, desc);
  const test = await openTestSet(o.test);
  if (JSON.stringify(test.classes) !== JSON.stringify(desc.classes))
    throw new UsageError(
      `data set mismatch: the test set's classes (${listNames(test.classes)}) differ from the training set's (${listNames(desc.classes)})`,
    );
  await checkPyTorch(o.python);

  const drop = manifest.store?.drop ?? manifest.params?.drop ?? 0;
  const dropped = manifest.store !== null && manifest.store !== undefined && drop > 0;
  const reconstructed = o.useReconstructed && dropped;
  if (o.useReconstructed && !dropped)
    o.onProgress("adq eval: no patches were dropped in this result; training on the original images\n");
  const common = [
    "--train",
    trainPath,
    "--test",
    test.root,
    "--epochs",
    String(o.epochs),
    "--seed",
    String(o.seed),
    ...(o.threads ? ["--threads", String(o.threads)] : []),
    ...(o.evalEvery ? ["--eval-every", String(o.evalEvery)] : []),
    ...(o.size ? ["--size", String(o.size)] : []),
    ...(o.cacheDir ? ["--cache-dir", o.cacheDir] : []),
  ];
  let tmp: string | null = null;
  let reconstructSeconds: number | null = null;
  try {
    let source: string[];
    if (reconstructed) {
      if (basename(file) !== "manifest.json" || !(await exists(join(dir, manifest.store!.file))))
        throw new UsageError(
          `--use-reconstructed needs the whole compressed folder (manifest.json and ${manifest.store!.file}); pass the folder`,
        );
      tmp = await mkdtemp(join(tmpdir(), "adq-eval-"));
      const t0 = Date.now();
      o.onProgress(`adq eval: reconstructing ${manifest.selected} images with the MAE ${o.mae}\n`);
      const rec = await reconstruct({
        compressed: dir,
        out: join(tmp, "images"),
        mae: resolve(o.mae),
        force: false,
        ...(o.threads ? { threads: o.threads } : {}),
      });
      reconstructSeconds = (Date.now() - t0) / 1000;
      source = ["--images", rec.out];
    } else source = ["--subset", file];
    o.signal?.throwIfAborted();
    const res = await runTrainer(o.python, [...common, ...source], o.onProgress, o.signal);
    return {
      ...res,
      manifest: file,
      manifest_sha256: createHash("sha256")
        .update(await readFile(file))
        .digest("hex"),
      method: manifest.method ?? manifest.params?.method,
      ratio: manifest.params?.ratio,
      selection_seed: manifest.params?.seed,
      drop,
      selected: manifest.items.length,
      train: trainPath,
      test: test.root,
      trained_on: reconstructed ? "reconstructed" : "original",
      reconstruct_seconds: reconstructSeconds,
      wall_seconds: (Date.now() - started) / 1000,
    };
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

function int(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const x = DECIMAL_INTEGER.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isInteger(x)) throw new UsageError(`--${flag} must be an integer, got ${JSON.stringify(v)}`);
  return x;
}

const EVAL_FLAGS = {
  ...valueFlags("train", "test", "epochs", "seed", "mae", "threads", "eval-every", "size", "cache-dir"),
  ...switchFlags("use-reconstructed", "json"),
};

/** `adq eval …` → exit code. Bad input throws UsageError (exit 2 in main). */
export async function runEval(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, EVAL_FLAGS);
  const target = onePositional(
    positionals,
    "eval takes one compressed folder or manifest.json (the output of adq compress)",
  );
  if (!values.test)
    throw new UsageError("eval needs --test <dataset> (the test split to measure accuracy on)");
  const cacheRoot = values["cache-dir"] || process.env.ADQ_CACHE_DIR || join(homedir(), ".cache", "adq");
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const res = await evaluate({
      target,
      ...(values.train ? { train: values.train } : {}),
      test: values.test,
      epochs: int("epochs", values.epochs, 40),
      seed: int("seed", values.seed, 0),
      useReconstructed: values["use-reconstructed"] === true,
      mae: values.mae ?? DEFAULT_MAE,
      ...(values.threads !== undefined ? { threads: int("threads", values.threads, 0) } : {}),
      ...(values["eval-every"] !== undefined
        ? { evalEvery: int("eval-every", values["eval-every"], 0) }
        : {}),
      ...(values.size !== undefined ? { size: int("size", values.size, 0) } : {}),
      cacheDir: join(resolve(cacheRoot), "eval-pixels"),
      python: process.env.ADQ_PYTHON || DEFAULT_PYTHON,
      onProgress: (s) => process.stderr.write(s),
      signal: controller.signal,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(res)}\n`);
    else
      process.stdout.write(
        `test accuracy ${(res.test_accuracy * 100).toFixed(2)}% (${res.test_images} test images)\n` +
          `${res.model} from scratch, ${res.epochs} epoch(s), seed ${res.seed}, on ${res.train_images} ${res.trained_on} images ` +
          `(${res.method}, ρ=${res.ratio}, selection seed ${res.selection_seed}) in ${res.wall_seconds.toFixed(1)}s\n`,
      );
    return 0;
  } catch (e) {
    if (e instanceof InterruptedError || controller.signal.aborted) {
      process.stderr.write("adq: eval interrupted\n");
      return 130;
    }
    if (e instanceof TrainerError) {
      process.stderr.write(`adq: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
