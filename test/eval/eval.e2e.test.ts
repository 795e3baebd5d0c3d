import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DATASET } from "@adq/cli";
import { INSTALL_TORCH } from "@adq/cli/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { compressCli, runCli } from "../e2e/cli.ts";
import { demoSlice, tmp } from "../e2e/helpers.ts";

// `adq eval` for real: the bundled demo's JPEGs, a real `adq compress`, and PyTorch training
// one epoch of ResNet-20 on 60 images. PyTorch is a requirement of this suite, not an
// option: without it these tests fail and say what to install (scripts/setup.sh installs it).
const PYTHON = process.env.ADQ_PYTHON || "/usr/bin/python3";
const CLASSES = 3;
const PER_CLASS = 40;

function pytorchProblem(): string | null {
  const r = spawnSync(PYTHON, ["-c", "import torch, numpy, PIL"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} cannot run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import torch (${r.stderr.trim().split("\n").pop()})`;
  return null;
}

/** Demo images [from, to) of the first `classes` classes: a test set disjoint from demoSlice(classes, from). */
function demoRange(classes: number, from: number, to: number): string {
  const dir = tmp("adq-eval-test-");
  for (const c of readdirSync(DEFAULT_DATASET).sort().slice(0, classes)) {
    mkdirSync(join(dir, c));
    for (const f of readdirSync(join(DEFAULT_DATASET, c)).sort().slice(from, to))
      cpSync(join(DEFAULT_DATASET, c, f), join(dir, c, f));
  }
  return dir;
}

interface EvalJson {
  test_accuracy: number;
  epochs: number;
  train_images: number;
  test_images: number;
  seed: number;
  per_epoch: Array<{ epoch: number; loss: number; train_accuracy: number; test_accuracy?: number }>;
  manifest_sha256: string;
  method: string;
  selection_seed: number;
  trained_on: string;
  source: string;
}

describe("adq eval (end to end, PyTorch)", () => {
  let data: string;
  let testSet: string;
  let out: string;
  let cache: string;

  beforeAll(async () => {
    const problem = pytorchProblem();
    if (problem)
      throw new Error(
        `adq eval needs PyTorch and ${problem}. Install Debian's PyTorch: ${INSTALL_TORCH} (scripts/setup.sh does)`,
      );
    data = demoSlice(CLASSES, PER_CLASS);
    testSet = demoRange(CLASSES, PER_CLASS, PER_CLASS + 20);
    cache = tmp("adq-eval-cache-");
    out = join(tmp("adq-eval-out-"), "compressed");
    // The default --drop 0.25 drops patches, so the same result also serves --use-reconstructed.
    const r = await runCli(
      [
        "compress",
        data,
        "--out",
        out,
        "--cache-dir",
        cache,
        "--method",
        "adq-paper",
        "--ratio",
        "0.5",
        "--bins",
        "4",
        "--seed",
        "3",
      ],
      { timeoutMs: 240_000 },
    );
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
  }, 300_000);

  const evalArgs = (...extra: string[]) => [
    "eval",
    out,
    "--test",
    testSet,
    "--epochs",
    "1",
    "--seed",
    "1",
    "--threads",
    "1",
    "--cache-dir",
    cache,
    ...extra,
  ];

  it("trains one epoch on the subset's original images and reports an accuracy in [0, 1]", async () => {
    const r = await runCli(evalArgs("--json"), { timeoutMs: 240_000 });
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/epoch 1\/1 loss/);
    const res = JSON.parse(r.stdout) as EvalJson;
    expect(res.test_accuracy).toBeGreaterThanOrEqual(0);
    expect(res.test_accuracy).toBeLessThanOrEqual(1);
    expect(res).toMatchObject({
      epochs: 1,
      train_images: (CLASSES * PER_CLASS) / 2,
      test_images: CLASSES * 20,
      seed: 1,
      method: "adq-paper",
      selection_seed: 3,
      trained_on: "original",
      source: "subset",
    });
    expect(res.per_epoch).toHaveLength(1);
    expect(res.per_epoch[0]!.test_accuracy).toBe(res.test_accuracy);
    expect(Number.isFinite(res.per_epoch[0]!.loss)).toBe(true);
    expect(res.manifest_sha256).toBe(
      createHash("sha256")
        .update(readFileSync(join(out, "manifest.json")))
        .digest("hex"),
    );

    // Same seed → the same model: the human-readable run reports the same accuracy.
    const again = await runCli(evalArgs(), { timeoutMs: 240_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`test accuracy ${(res.test_accuracy * 100).toFixed(2)}%`);
    expect(again.stdout).toMatch(/resnet20 from scratch, 1 epoch\(s\), seed 1, on 60 original images/);
  }, 480_000);

  it("with --use-reconstructed trains on the MAE reconstructions of the kept patches", async () => {
    const r = await runCli(evalArgs("--use-reconstructed", "--json"), { timeoutMs: 240_000 });
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as EvalJson;
    expect(res).toMatchObject({ trained_on: "reconstructed", source: "images", train_images: 60 });
    expect(res.test_accuracy).toBeGreaterThanOrEqual(0);
    expect(res.test_accuracy).toBeLessThanOrEqual(1);
  }, 240_000);
});

describe("adq eval rejects bad input with exit code 2 and one precise line", () => {
  let data: string;
  let out: string;
  let testSet: string;

  beforeAll(async () => {
    data = demoSlice(3, 12);
    testSet = demoRange(3, 12, 16);
    out = join(tmp("adq-eval-out-"), "random");
    // random without patch dropping needs no model: fast.
    const r = await compressCli(data, ["--method", "random", "--drop", "0", "--ratio", "0.5"], { out });
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  const cases: Array<[string, () => string[], RegExp]> = [
    ["no compressed result", () => [tmp("adq-empty-"), "--test", testSet], /holds no manifest\.json/],
    ["a path that does not exist", () => ["/nonexistent/adq-result", "--test", testSet], /does not exist/],
    ["no --test", () => [out], /eval needs --test/],
    [
      "--train with other classes",
      () => [out, "--train", demoSlice(2, 12), "--test", testSet],
      /data set mismatch: the manifest's classes \(airplane, automobile, bird\) differ/,
    ],
    [
      "--train of another size",
      () => [out, "--train", demoSlice(3, 11), "--test", testSet],
      /data set mismatch: the manifest was made from 36 images, --train .* has 33/,
    ],
    [
      "a test set with other classes",
      () => [out, "--test", demoRange(4, 12, 14)],
      /data set mismatch: the test set's classes \(airplane, automobile, bird, cat\) differ/,
    ],
    ["--epochs 0", () => [out, "--test", testSet, "--epochs", "0"], /--epochs must be an integer ≥ 1/],
  ];

  for (const [name, args, message] of cases) {
    it(`rejects ${name}`, async () => {
      const r = await runCli(["eval", ...args()]);
      expect(r.stderr).not.toMatch(/unexpected error/);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    });
  }

  it("says exactly what to install when the Python has no PyTorch", async () => {
    const saved = process.env.ADQ_PYTHON;
    process.env.ADQ_PYTHON = "/nonexistent/python3";
    const pending = runCli(["eval", out, "--test", testSet]); // spawns now, with this environment
    if (saved === undefined) delete process.env.ADQ_PYTHON;
    else process.env.ADQ_PYTHON = saved;
    const r = await pending;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("apt-get install python3-torch python3-torchvision");
  });
});
