import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import {
  checkRunsFolder,
  compressName,
  pendingRuns,
  planRuns,
  type RunSpec,
  resultFile,
  runName,
} from "../../bench/quality/run.ts";
import { loadRuns, main, renderMarkdown, std, summarize } from "../../bench/quality/summarize.ts";
import { tmp } from "../e2e/helpers.ts";

// Hand-made run files in a temp dir (never bench/quality/runs): accuracies chosen so that
// every statistic can be checked by hand.
function writeRun(
  dir: string,
  r: {
    method: string;
    ratio?: number;
    seed: number;
    accuracy: number;
    variant?: string;
    epochs?: number;
    model?: string | null;
  },
): void {
  const ratio = r.ratio ?? 0.1;
  const epochs = r.epochs ?? 40;
  const name = `${r.method}-r${ratio}-s${r.seed}${r.variant ? `-${r.variant}` : ""}${epochs === 40 ? "" : `-e${epochs}`}`;
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({
      name,
      method: r.method,
      ratio,
      seed: r.seed,
      selection_seed: r.seed,
      train_seed: r.seed,
      variant: r.variant ?? null,
      epochs,
      accuracy: r.accuracy,
      feature_model:
        r.model === undefined || r.method === "random"
          ? null
          : { file: "m.onnx", sha256: r.model ?? "a".repeat(64) },
      manifest_sha256: "0".repeat(64),
      test_images: 10000,
      timings: { train_s: 900 },
      environment: { torch: "1.13.0a0", threads: 2 },
    }),
  );
}

// random 68, 69, 70, 67, 66 ; dq = random − 0.5 on every seed ; adq = dq + {1.0, 1.2, 0.8, 1.1, 0.9}
const RANDOM = [68, 69, 70, 67, 66];
const GAIN = [1.0, 1.2, 0.8, 1.1, 0.9];

describe("bench/quality/summarize", () => {
  let dir: string;
  beforeEach(() => {
    dir = tmp("adq-quality-runs-");
    RANDOM.forEach((acc, seed) => {
      writeRun(dir, { method: "random", seed, accuracy: acc / 100 });
      writeRun(dir, { method: "dq", seed, accuracy: (acc - 0.5) / 100 });
      writeRun(dir, { method: "adq", seed, accuracy: (acc - 0.5 + GAIN[seed]!) / 100 });
    });
    // An unpaired ADQ seed: counts for ADQ's mean, not for the paired differences.
    writeRun(dir, { method: "adq", seed: 7, accuracy: 0.5 });
    // ρ = 30%: a noisy, not significant difference.
    writeRun(dir, { method: "dq", ratio: 0.3, seed: 0, accuracy: 0.8 });
    writeRun(dir, { method: "dq", ratio: 0.3, seed: 1, accuracy: 0.8 });
    writeRun(dir, { method: "adq", ratio: 0.3, seed: 0, accuracy: 0.83 });
    writeRun(dir, { method: "adq", ratio: 0.3, seed: 1, accuracy: 0.78 });
    // A patch-dropping variant, paired against plain ADQ too.
    writeRun(dir, { method: "adq", seed: 0, variant: "drop0.25", accuracy: 0.685 });
  });

  it("reports per-method mean ± std and n per (ratio, epochs) group", () => {
    const groups = summarize(loadRuns(dir));
    expect(groups.map((g) => [g.ratio, g.epochs])).toEqual([
      [0.1, 40],
      [0.3, 40],
    ]);
    const g = groups[0]!;
    expect(g.methods.map((m) => m.label)).toEqual(["random", "dq", "adq", "adq (drop0.25)"]);
    const random = g.methods[0]!;
    expect(random.n).toBe(5);
    expect(random.mean).toBeCloseTo(68, 10);
    expect(random.std).toBeCloseTo(Math.sqrt(2.5), 10); // deviations 0,1,2,−1,−2 → 10/4
    expect(g.methods[1]!.mean).toBeCloseTo(67.5, 10);
    const adq = g.methods[2]!;
    expect(adq.n).toBe(6);
    expect(adq.seeds).toEqual([0, 1, 2, 3, 4, 7]);
  });

  it("pairs ADQ with DQ and random by seed: mean, std, standard error and the 2-SE verdict", () => {
    const g = summarize(loadRuns(dir))[0]!;
    const vsDq = g.paired.find((p) => p.label === "adq − dq")!;
    expect(vsDq.n).toBe(5); // seed 7 has no DQ partner
    expect(vsDq.perSeed.map((p) => p.seed)).toEqual([0, 1, 2, 3, 4]);
    expect(vsDq.mean).toBeCloseTo(1.0, 10);
    expect(vsDq.std).toBeCloseTo(std(GAIN), 10);
    expect(vsDq.std).toBeCloseTo(Math.sqrt(0.1 / 4), 10);
    expect(vsDq.se).toBeCloseTo(vsDq.std / Math.sqrt(5), 10);
    expect(vsDq.exceeds2se).toBe(true);
    const vsRandom = g.paired.find((p) => p.label === "adq − random")!;
    expect(vsRandom.mean).toBeCloseTo(0.5, 10);
    expect(vsRandom.exceeds2se).toBe(true);
    expect(vsRandom.below2se).toBe(false);
    const dqVsRandom = g.paired.find((p) => p.label === "dq − random")!;
    expect(dqVsRandom.mean).toBeCloseTo(-0.5, 10); // 0.5 points below random on every seed
    expect(dqVsRandom.below2se).toBe(true);
    expect(dqVsRandom.exceeds2se).toBe(false);
    const variant = g.paired.find((p) => p.label === "adq (drop0.25) − adq")!;
    expect(variant.n).toBe(1);
    expect(variant.exceeds2se).toBe(false); // one pair: no spread, no verdict of a gain

    const g30 = summarize(loadRuns(dir))[1]!;
    const p30 = g30.paired.find((p) => p.label === "adq − dq")!;
    expect(p30.mean).toBeCloseTo(0.5, 10); // +3 and −2
    expect(p30.std).toBeCloseTo(Math.sqrt(12.5), 10);
    expect(p30.exceeds2se).toBe(false);
    expect(p30.below2se).toBe(false);
  });

  it("writes RESULTS.md with the tables and one verdict line per paired difference", () => {
    const out = join(tmp("adq-quality-md-"), "RESULTS.md");
    expect(main(["--runs", dir, "--out", out])).toBe(0);
    const md = readFileSync(out, "utf8");
    expect(md).toContain("## ρ = 10%, 40 epochs");
    expect(md).toContain("## ρ = 30%, 40 epochs");
    expect(md).toContain("| random | 5 | 68.00 ± 1.58 | 66.00 | 70.00 | 0, 1, 2, 3, 4 |");
    expect(md).toContain(
      "| adq − dq | 5 | +1.00 | 0.16 | 0.07 | 14.14 | s0 +1.00, s1 +1.20, s2 +0.80, s3 +1.10, s4 +0.90 |",
    );
    expect(md).toContain(
      "- adq − dq: gain exceeds 2 SE: yes; loss exceeds 2 SE: no (+1.00 vs 2 SE = 0.14 points, n = 5)",
    );
    expect(md).toContain(
      "- adq − dq: gain exceeds 2 SE: no; loss exceeds 2 SE: no (+0.50 vs 2 SE = 5.00 points, n = 2)",
    );
    expect(md).toContain(
      "- adq (drop0.25) − adq: gain exceeds 2 SE: no; loss exceeds 2 SE: no (n = 1, no spread to compare against)",
    );
    // ρ=10%: adq and the variant vs their references, dq − random; ρ=30%: adq − dq.
    expect(md.match(/gain exceeds 2 SE: (yes|no)/g)).toHaveLength(5 + 1 + 1);
    expect(md).toContain(
      "- dq − random: gain exceeds 2 SE: no; loss exceeds 2 SE: yes (−0.50 vs 2 SE = 0.00 points, n = 5)",
    );
  });

  it("puts several runs folders (one per data set) in one document, each under its data set's name", () => {
    const other = tmp("adq-quality-runs-");
    for (const [method, seed, accuracy] of [
      ["random", 0, 0.8],
      ["dq", 0, 0.82],
    ] as const)
      writeFileSync(
        join(other, `${method}-r0.1-s${seed}-e120.json`),
        JSON.stringify({
          method,
          ratio: 0.1,
          seed,
          epochs: 120,
          accuracy,
          eval_size: 32,
          dataset: { train: "/data/eurosat_rgb/train", test: "/data/eurosat_rgb/test" },
          feature_model: method === "random" ? null : { file: "x.onnx", sha256: "c".repeat(64) },
        }),
      );
    writeFileSync(join(other, "README.md"), "EuroSAT, made by `run.ts --train eurosat`.\n");
    const out = join(tmp("adq-quality-md-"), "RESULTS.md");
    expect(main(["--runs", dir, "--runs", other, "--out", out])).toBe(0);
    const md = readFileSync(out, "utf8");
    expect(md).toContain(`## cifar10: \`${dir}\``);
    // A folder's README.md introduces its section.
    expect(md).toContain(`## eurosat_rgb: \`${other}\`\n\nEuroSAT, made by \`run.ts --train eurosat\`.\n\n`);
    expect(md).toContain("### ρ = 10%, 120 epochs");
    expect(md).toContain("| dq − random | 1 | +2.00 |");
    expect(md).toContain("trainer image side 32 px");
  });

  it("holds one feature model per method in a runs folder and says which one measured each", () => {
    const A = "a".repeat(64);
    const B = "b".repeat(64);
    const runs = tmp("adq-quality-models-");
    writeRun(runs, { method: "random", seed: 0, accuracy: 0.6, model: A }); // random records none
    writeRun(runs, { method: "dq", seed: 0, accuracy: 0.6, model: A });
    writeRun(runs, { method: "adq", seed: 0, accuracy: 0.61, model: A });
    const loaded = loadRuns(runs);
    expect(loaded.map((r) => r.featureModel?.sha256 ?? null)).toEqual([A, A, null]);
    const groups = summarize(loaded);
    expect(renderMarkdown(loaded, groups, () => A)).toContain(
      `Feature model of adq, dq: \`m.onnx\` sha256 \`${"a".repeat(16)}…\` (the repository's file of that name).`,
    );
    expect(renderMarkdown(loaded, groups, () => B)).toContain(
      "**not the repository's current file of that name**",
    );
    // The runner adds runs of model A only; random runs fit any folder.
    expect(() => checkRunsFolder(runs, { sha256: A })).not.toThrow();
    expect(() => checkRunsFolder(runs, { sha256: B })).toThrow(
      /adq-r0\.1-s0\.json was measured with feature model m\.onnx sha256 aaaaaaaaaaaa…, this run's is sha256 bbbbbbbbbbbb…: pass --runs/,
    );
    // Another method may use another model (CCS's default is the general backbone) ...
    expect(() => checkRunsFolder(runs, { sha256: B }, { method: "ccs", variant: null })).not.toThrow();
    expect(() => checkRunsFolder(runs, { sha256: B }, { method: "adq", variant: null })).toThrow(
      /adq-r0\.1-s0/,
    );
    writeRun(runs, { method: "ccs", seed: 0, accuracy: 0.62, model: B });
    const md = renderMarkdown(loadRuns(runs), summarize(loadRuns(runs)), () => undefined);
    expect(md).toContain(`Feature model of adq, dq: \`m.onnx\` sha256 \`${"a".repeat(16)}…\`.`);
    expect(md).toContain(`Feature model of ccs: \`m.onnx\` sha256 \`${"b".repeat(16)}…\`.`);
    // ... but a run of another model under the same method: the summary refuses to pair them.
    writeRun(runs, { method: "adq", seed: 1, accuracy: 0.61, model: B });
    expect(() => summarize(loadRuns(runs))).toThrow(
      /adq-r0\.1-s1\.json: measured with feature model sha256 bbbbbbbbbbbb…, adq-r0\.1-s0\.json \(also adq\)/,
    );
    // A run that does not say which model measured it cannot be checked.
    writeFileSync(join(runs, "adq-r0.1-s1.json"), JSON.stringify({ method: "adq" }));
    expect(() => checkRunsFolder(runs, { sha256: A })).toThrow(
      /adq-r0\.1-s1\.json: no feature_model recorded/,
    );
  });

  it("writes a 'no runs yet' summary for an empty or missing runs folder", () => {
    const out = join(tmp("adq-quality-md-"), "RESULTS.md");
    expect(main(["--runs", join(dir, "missing"), "--out", out])).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("No runs yet.");
  });

  it("rejects a malformed run file, naming it", () => {
    writeFileSync(
      join(dir, "adq-r0.1-s9.json"),
      JSON.stringify({ method: "adq", ratio: 0.1, seed: 9, epochs: 40 }),
    );
    expect(() => loadRuns(dir)).toThrow(/adq-r0\.1-s9\.json: accuracy must be a number in \[0, 1\]/);
    writeFileSync(join(dir, "adq-r0.1-s9.json"), "{");
    expect(() => loadRuns(dir)).toThrow(/adq-r0\.1-s9\.json: not valid JSON/);
  });
});

describe("bench/quality/run plan", () => {
  it("plans random, dq, adq at ρ = 10% seed-major, plus the optional groups", () => {
    const plan = planRuns({
      methods: ["random", "dq", "adq"],
      seeds: [0, 1],
      epochs: 40,
      withR30: false,
      withDrop: false,
    });
    expect(plan.map(runName)).toEqual([
      "random-r0.1-s0",
      "dq-r0.1-s0",
      "adq-r0.1-s0",
      "random-r0.1-s1",
      "dq-r0.1-s1",
      "adq-r0.1-s1",
    ]);
    const all = planRuns({ methods: ["dq", "adq"], seeds: [3], epochs: 10, withR30: true, withDrop: true });
    expect(all.map(runName)).toEqual([
      "dq-r0.1-s3-e10",
      "adq-r0.1-s3-e10",
      "dq-r0.3-s3-e10",
      "adq-r0.3-s3-e10",
      "adq-r0.1-s3-drop0.25-e10",
      "adq-r0.3-s3-drop0.25-e10",
    ]);
    const drop = all.find((s) => s.variant === "drop0.25")!;
    expect(drop).toMatchObject({ drop: 0.25, useReconstructed: true });
    // The compressed result does not depend on the epochs: shared across epoch counts.
    expect(compressName(drop)).toBe("adq-r0.1-s3-drop0.25");
    const v = planRuns({
      methods: ["adq"],
      seeds: [0],
      epochs: 40,
      withR30: false,
      withDrop: false,
      variant: "alpha1",
      compressArgs: ["--alpha", "1"],
    });
    expect(v.map(runName)).toEqual(["adq-r0.1-s0-alpha1"]);
    expect(v[0]!.compressArgs).toEqual(["--alpha", "1"]);
  });

  it("skips runs whose result file exists", () => {
    const runs = tmp("adq-quality-runs-");
    mkdirSync(runs, { recursive: true });
    const plan: RunSpec[] = planRuns({
      methods: ["random", "adq"],
      seeds: [0, 1],
      epochs: 40,
      withR30: false,
      withDrop: false,
    });
    writeFileSync(resultFile(runs, plan[1]!), "{}");
    expect(pendingRuns(plan, runs).map(runName)).toEqual(["random-r0.1-s0", "random-r0.1-s1", "adq-r0.1-s1"]);
  });
});
