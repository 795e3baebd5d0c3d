import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { main as exportSelections, packSelection } from "../../bench/gpu/export-selections.ts";
import { runCli } from "../e2e/cli.ts";
import { demoSlice, tmp } from "../e2e/helpers.ts";

// The GPU quality path (issue 34) checked on the CPU: a subset packed by export-selections.ts is
// exactly the run's manifest (same ids, sha256 checked), train_subset.py trains the published
// protocol's ResNet-18 on it (one epoch here), and quality_summary.py pairs rows by seed.
const PYTHON = process.env.ADQ_PYTHON || "/usr/bin/python3";
const REPO = join(import.meta.dirname, "..", "..");

describe("GPU quality tools", () => {
  it("packs a run's subset, trains ResNet-18 on it and summarises paired by seed", async () => {
    const data = demoSlice(3, 20);
    const cache = tmp("adq-gpuq-cache-");
    const runs = tmp("adq-gpuq-runs-");
    const out = tmp("adq-gpuq-sel-");
    const dir = join(cache, "quality", "compressed", "random-r0.5-s3");
    const c = await runCli([
      "compress",
      data,
      "--method",
      "random",
      "--ratio",
      "0.5",
      "--seed",
      "3",
      "--out",
      dir,
      "--cache-dir",
      tmp("adq-gpuq-stages-"),
    ]);
    expect(c.code, c.stderr).toBe(0);
    // The quality bench's stamp: which data set the cached result was compressed from.
    writeFileSync(join(dir, "bench-compress.json"), JSON.stringify({ args: ["compress", data], seconds: 1 }));
    const bytes = readFileSync(join(dir, "manifest.json"));
    const sha = createHash("sha256").update(bytes).digest("hex");
    const run = {
      name: "random-r0.5-s3",
      method: "random",
      ratio: 0.5,
      seed: 3,
      variant: null,
      accuracy: 0.5,
      manifest_sha256: sha,
      dataset: { train: data },
    };
    writeFileSync(join(runs, "random-r0.5-s3.json"), JSON.stringify(run));
    expect(exportSelections(["--runs", runs, "--cache-dir", cache, "--out", out])).toBe(0);
    const file = join(out, "random-r0.5-s3.json.gz");
    const pack = JSON.parse(gunzipSync(readFileSync(file)).toString("utf8"));
    const manifest = JSON.parse(bytes.toString("utf8"));
    expect(pack.items).toEqual(
      manifest.items.map((i: { id: string; label: number }) => ({ id: i.id, label: i.label })),
    );
    expect(pack.manifest_sha256).toBe(sha);
    // Deterministic bytes: packing again gives the same file.
    expect(packSelection(run, manifest, sha).equals(readFileSync(file))).toBe(true);

    // A run file whose recorded sha256 does not match its manifest is refused, naming the run.
    writeFileSync(
      join(runs, "random-r0.5-s3.json"),
      JSON.stringify({ ...run, manifest_sha256: "0".repeat(64) }),
    );
    expect(() => exportSelections(["--runs", runs, "--cache-dir", cache, "--out", out])).toThrow(
      /random-r0.5-s3: the manifest found hashes to/,
    );

    const subset = join(out, "random-r0.5-s3.json");
    writeFileSync(subset, gunzipSync(readFileSync(file)));
    const t = spawnSync(
      PYTHON,
      [
        join(REPO, "eval", "train_subset.py"),
        "--train",
        data,
        "--test",
        data,
        "--subset",
        subset,
        "--model",
        "resnet18",
        "--epochs",
        "1",
        "--seed",
        "3",
        "--threads",
        "1",
      ],
      { encoding: "utf8" },
    );
    expect(t.status, t.stderr).toBe(0);
    const res = JSON.parse(t.stdout.trim().split("\n").pop()!);
    expect(res).toMatchObject({
      model: "resnet18",
      train_images: 30,
      test_images: 60,
      device: "cpu",
      bf16: false,
    });

    // --device cuda without a GPU, and --bf16 on the CPU: exit 2 with the flag named.
    const noGpu = spawnSync(
      PYTHON,
      [join(REPO, "eval", "train_subset.py"), "--train", data, "--test", data, "--subset", subset, "--bf16"],
      { encoding: "utf8" },
    );
    expect(noGpu.status).toBe(2);
    expect(noGpu.stderr).toMatch(/--bf16/);

    const results = tmp("adq-gpuq-results-");
    for (const [row, seed, acc] of [
      ["random", 0, 0.6],
      ["random", 1, 0.62],
      ["ccs-fast128", 0, 0.63],
      ["ccs-fast128", 1, 0.66],
    ] as const)
      writeFileSync(
        join(results, `${row}-r0.1-s${seed}.json`),
        JSON.stringify({ run: `${row}-r0.1-s${seed}`, test_accuracy: acc }),
      );
    mkdirSync(join(results, "ignored"));
    const s = spawnSync(PYTHON, [join(REPO, "bench", "gpu", "quality_summary.py"), results], {
      encoding: "utf8",
    });
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toContain("| ccs-fast128 − random (ρ 0.1) | 2 | +3.50 | 0.50 | yes | no |");
  }, 240_000);
});
