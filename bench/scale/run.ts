/**
 * How time and memory grow with the data set (issue 33): generated data injected at the
 * features boundary (what the features stage would hand on: embeddings, logits, labels), then
 * every later stage's own code — the cross-fitted head, GraphCut binning (exact and stochastic
 * greedy), CCS selection, the coordinator's listing and fingerprint, the manifest — each in a
 * child process of its own, so that its peak RSS is its own (process.resourceUsage().maxRSS).
 *
 *   npx tsx bench/scale/run.ts                 # → bench/scale/RESULTS.md + scale.svg
 *   npx tsx bench/scale/run.ts --quick         # small sizes only (a smoke run)
 *
 * Sizes: N = 10k, 100k, 1M items in 10 classes, and one class of 100k. What does not fit in a
 * bounded run here is measured at smaller sizes and extrapolated with the fitted exponent, and
 * marked so: exact greedy at 100k items per class (≈ n²), the cross-fitted head at 1M.
 * Features: the embeddings are D = 64 (the CIFAR ResNet-20's width) drawn from 10 Gaussian
 * clusters per class; logits C = 10. The features stage itself (ONNX) is linear in N; its rate is
 * the one measured in bench/RESULTS-fast-default.md and bench/README.md.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  allocateAcrossClasses,
  binItems,
  ccsSelect,
  cosineSpaceFor,
  crossFitSoftmaxHead,
  el2nScores,
  Rng,
  range,
} from "@adq/core";

const HERE = dirname(fileURLToPath(import.meta.url));
const C = 10;
const D = 64;

/** Synthetic features of one class (or of all, labels round-robin): clustered Gaussians. */
function features(n: number, seed: number, labelOf: (i: number) => number) {
  const r = new Rng(seed);
  const centres = Float32Array.from({ length: 10 * C * D }, () => r.nextNormal() * 2);
  const emb = new Float32Array(n * D);
  const logits = new Float32Array(n * C);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = labelOf(i);
    labels[i] = y;
    const k = (y * 10 + r.nextInt(10)) * D;
    for (let t = 0; t < D; t++) emb[i * D + t] = centres[k + t]! + r.nextNormal();
    for (let c = 0; c < C; c++) logits[i * C + c] = (c === y ? 2 : 0) + r.nextNormal();
  }
  return { emb, logits, labels };
}

type Row = { stage: string; n: number; seconds: number; rssMiB: number; note?: string; extra?: unknown };

/** Runs in a child: one stage at one size. Prints one JSON row. */
async function worker(stage: string, n: number, arg: string | undefined): Promise<void> {
  // Timed: the stage's work only, from after the generated inputs exist (`start()`).
  let t0 = performance.now();
  let seconds = -1;
  const start = () => {
    t0 = performance.now();
  };
  const stop = () => {
    seconds = (performance.now() - t0) / 1000;
  };
  let extra: unknown;
  if (stage === "head") {
    const f = features(n, 1, (i) => i % C);
    start();
    const res = crossFitSoftmaxHead(f.emb, f.labels, C, { seed: 0 });
    stop();
    extra = { heldOutAccuracy: res.heldOutAccuracy };
  } else if (stage === "bin-exact" || stage === "bin-stochastic") {
    // One class of n items (all labels 0), as the binning stage sees one task.
    const f = features(n, 2, () => 0);
    const space = cosineSpaceFor({ logits: f.logits, embeddings: f.emb, labels: f.labels, numClasses: C });
    start();
    const bins = binItems(
      space,
      range(n),
      10,
      stage === "bin-stochastic" ? { stochastic: { epsilon: 0.01, seed: 0 } } : {},
    );
    stop();
    extra = { sizes: bins.map((b) => b.length) };
    if (arg === "agreement" && stage === "bin-stochastic") {
      const exact = binItems(space, range(n), 10);
      const of = (bs: Int32Array[]) => {
        const b = new Int32Array(n);
        bs.forEach((x, r) => {
          for (const i of x) b[i] = r;
        });
        return b;
      };
      const a = of(exact);
      const s = of(bins);
      let same = 0;
      for (let i = 0; i < n; i++) if (a[i] === s[i]) same++;
      // GraphCut value of bin 0 (the first round sees the whole class): λΣ_pool − Σ_S sim, stochastic / exact.
      const value = (S: Int32Array) => {
        const cs = new Float64Array(S.length);
        space.cosSums(range(n), cs, S);
        const ss = new Float64Array(S.length);
        space.cosSums(S, ss, S);
        let v = 0;
        for (let j = 0; j < S.length; j++) v += 0.5 * n + 0.5 * cs[j]! - (0.5 * S.length + 0.5 * ss[j]!);
        return v;
      };
      extra = { agreement: same / n, firstBinValueRatio: value(bins[0]!) / value(exact[0]!) };
    }
  } else if (stage === "bin-all") {
    // Every class of an N-item data set, the stage's rule: exact up to 20k per class, else stochastic.
    const f = features(n, 3, (i) => i % C);
    const per = Math.ceil(n / C);
    start(); // gathering each class's rows is part of the stage's work
    for (let c = 0; c < C; c++) {
      const members = range(n).filter((i) => i % C === c);
      const emb = new Float32Array(members.length * D);
      const lg = new Float32Array(members.length * C);
      members.forEach((i, j) => {
        emb.set(f.emb.subarray(i * D, (i + 1) * D), j * D);
        lg.set(f.logits.subarray(i * C, (i + 1) * C), j * C);
      });
      const space = cosineSpaceFor({
        logits: lg,
        embeddings: emb,
        labels: new Int32Array(members.length).fill(c),
        numClasses: C,
      });
      binItems(
        space,
        range(members.length),
        10,
        per > 20_000 ? { stochastic: { epsilon: 0.01, seed: c } } : {},
      );
    }
    stop();
    extra = { perClass: per, builder: per > 20_000 ? "stochastic-greedy" : "exact" };
  } else if (stage === "ccs") {
    const f = features(n, 4, (i) => i % C);
    start();
    const budgets = allocateAcrossClasses(new Array(C).fill(n / C), 0.1);
    let selected = 0;
    for (let c = 0; c < C; c++) {
      const members = range(n).filter((i) => i % C === c);
      const lg = new Float32Array(members.length * C);
      members.forEach((i, j) => {
        lg.set(f.logits.subarray(i * C, (i + 1) * C), j * C);
      });
      const scores = el2nScores(lg, C, c);
      selected += ccsSelect(members, scores, budgets[c]!, { beta: 0.3, strata: 50, seed: 0, unit: c }).indices
        .length;
    }
    stop();
    extra = { selected };
  } else if (stage === "coordinator") {
    // What the coordinator holds for a job: the listing (one {id, label, source} per item, as
    // ImageFolderReader.describe gives), labels, the fingerprint over ids; and the manifest of
    // round(0.1·N) items (ManifestItem shape), serialised.
    start();
    const items = Array.from({ length: n }, (_, i) => ({
      id: `class_${i % C}/${String(i).padStart(8, "0")}.jpg`,
      label: i % C,
      source: `/data/train/class_${i % C}/${String(i).padStart(8, "0")}.jpg`,
    }));
    const labels = Int32Array.from(items, (it) => it.label);
    const h = createHash("sha256");
    for (const it of items) h.update(`${it.id}\0${it.label}\n`);
    h.digest("hex");
    const k = Math.round(0.1 * n);
    const manifestItems = Array.from({ length: k }, (_, j) => {
      const i = j * 10;
      return { id: items[i]!.id, index: i, label: labels[i]!, bin: -1 };
    });
    const json = JSON.stringify({ version: 1, items: manifestItems }, null, 1);
    stop();
    extra = { manifestBytes: Buffer.byteLength(json), heapMiB: process.memoryUsage().heapUsed / 2 ** 20 };
  } else throw new Error(`unknown stage ${stage}`);
  const row: Row = {
    stage,
    n,
    seconds,
    rssMiB: process.resourceUsage().maxRSS / 1024,
    extra,
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

/** Rows measured by an earlier, interrupted invocation (`--rows`), reused by stage and size. */
const earlier = new Map<string, Row>();
/** Every row of this invocation, appended as it completes (`--rows` of a later one). */
const ROWS_LOG = join(HERE, ".rows.jsonl");

function run(stage: string, n: number, arg?: string): Row {
  const had = earlier.get(`${stage}@${n}`);
  if (had) return had;
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      "--worker",
      stage,
      String(n),
      ...(arg ? [arg] : []),
    ],
    {
      encoding: "utf8",
      maxBuffer: 1 << 24,
      env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=8192" },
    },
  );
  const row = JSON.parse(out.trim().split("\n").pop()!) as Row;
  process.stderr.write(
    `${stage} n=${n}: ${row.seconds.toFixed(2)} s, ${row.rssMiB.toFixed(0)} MiB ${JSON.stringify(row.extra)}\n`,
  );
  appendFileSync(ROWS_LOG, `${JSON.stringify(row)}\n`);
  return row;
}

/** Least-squares slope of log t on log n. */
function exponent(rows: Row[]): number {
  const xs = rows.map((r) => Math.log(r.n));
  const ys = rows.map((r) => Math.log(Math.max(r.seconds, 1e-3)));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i]! - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

function extrapolate(rows: Row[], n: number): number {
  const last = rows[rows.length - 1]!;
  return last.seconds * (n / last.n) ** exponent(rows);
}

/** A log-log plot of seconds against N, one polyline per series, as a standalone SVG. */
function svg(series: Array<{ name: string; points: Array<[number, number]>; dashed?: boolean }>): string {
  const W = 720;
  const H = 440;
  const L = 70;
  const B = 50;
  const all = series.flatMap((s) => s.points);
  const lx = (v: number) => Math.log10(v);
  const [x0, x1] = [
    Math.floor(lx(Math.min(...all.map((p) => p[0])))),
    Math.ceil(lx(Math.max(...all.map((p) => p[0])))),
  ];
  const [y0, y1] = [
    Math.floor(lx(Math.min(...all.map((p) => p[1])))),
    Math.ceil(lx(Math.max(...all.map((p) => p[1])))),
  ];
  const X = (v: number) => L + ((lx(v) - x0) / (x1 - x0)) * (W - L - 20);
  const Y = (v: number) => H - B - ((lx(v) - y0) / (y1 - y0)) * (H - B - 20);
  const colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    "<title>Wall time per stage against the number of items (log-log)</title>",
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  for (let e = x0; e <= x1; e++)
    out.push(
      `<line x1="${X(10 ** e)}" y1="20" x2="${X(10 ** e)}" y2="${H - B}" stroke="#ddd"/>`,
      `<text x="${X(10 ** e)}" y="${H - B + 16}" text-anchor="middle">1e${e}</text>`,
    );
  for (let e = y0; e <= y1; e++)
    out.push(
      `<line x1="${L}" y1="${Y(10 ** e)}" x2="${W - 20}" y2="${Y(10 ** e)}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${Y(10 ** e) + 4}" text-anchor="end">1e${e} s</text>`,
    );
  out.push(
    `<text x="${(W + L) / 2}" y="${H - 12}" text-anchor="middle">items N (per class for binning rows)</text>`,
  );
  series.forEach((s, i) => {
    const c = colours[i % colours.length]!;
    const pts = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ");
    out.push(
      `<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    for (const [x, y] of s.points)
      out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${c}"/>`);
    out.push(`<text x="${L + 10}" y="${34 + i * 16}" fill="${c}">${s.name}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--worker") return worker(argv[1]!, Number(argv[2]), argv[3]);
  const quick = argv.includes("--quick");
  const rowsAt = argv.indexOf("--rows");
  if (rowsAt >= 0)
    for (const l of readFileSync(argv[rowsAt + 1]!, "utf8")
      .split("\n")
      .filter(Boolean)) {
      const r = JSON.parse(l) as Row;
      earlier.set(`${r.stage}@${r.n}`, r);
    }
  // --skip stage@n,...: not run; binning all classes at 1M is then 10 × one class of 100k.
  const skipAt = argv.indexOf("--skip");
  const skip = new Set(skipAt >= 0 ? argv[skipAt + 1]!.split(",") : []);
  const Ns = quick ? [2_000, 10_000] : [10_000, 100_000, 1_000_000];
  const load0 = loadavg()[0]!;
  const t0 = Date.now();
  const rows: Row[] = [];
  // Exact greedy, one class: measured where affordable, the exponent fitted, 100k extrapolated.
  const exactNs = quick ? [1_000, 2_000] : [2_500, 5_000, 10_000];
  const exact = exactNs.map((n) => run("bin-exact", n));
  const stochastic = [
    ...exactNs.map((n) => run("bin-stochastic", n, "agreement")),
    ...(quick ? [] : [run("bin-stochastic", 100_000)]),
  ];
  const coordinator = Ns.map((n) => run("coordinator", n));
  const ccs = Ns.map((n) => run("ccs", n));
  const binAll = Ns.map((n) => {
    if (!skip.has(`bin-all@${n}`)) return run("bin-all", n);
    // Not run: C classes of n/C items each, each costing what one class of n/C cost.
    const one = stochastic.find((r) => r.n === n / C) ?? exact.find((r) => r.n === n / C);
    if (!one) throw new Error(`--skip bin-all@${n} needs a one-class row at ${n / C}`);
    return { ...one, stage: "bin-all", n, seconds: C * one.seconds, note: "extrapolated" } as Row;
  });
  const headNs = quick ? [2_000, 10_000] : [2_500, 5_000, 10_000];
  const head = headNs.map((n) => run("head", n));
  rows.push(...exact, ...stochastic, ...coordinator, ...ccs, ...binAll, ...head);
  const big = quick ? 10_000 : 100_000;
  const exactBig = extrapolate(exact, big);
  const headBig = extrapolate(head, quick ? 100_000 : 1_000_000);
  const head100k = extrapolate(head, 100_000);
  const fmt = (s: number) => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2));
  const measured = (rs: Row[]) => rs.filter((r) => !r.note);
  const table = (title: string, rs: Row[], note = "") => [
    `| ${title} | ${rs.map((r) => `N = ${r.n.toLocaleString("en")}`).join(" | ")} | exponent |`,
    `| --- | ${rs.map(() => "---:").join(" | ")} | ---: |`,
    `| wall s | ${rs.map((r) => (r.note ? `≈ ${fmt(r.seconds)} (${r.note})` : fmt(r.seconds))).join(" | ")} | ${measured(rs).length > 1 ? exponent(measured(rs)).toFixed(2) : "–"} |`,
    `| peak RSS MiB | ${rs.map((r) => (r.note ? "–" : r.rssMiB.toFixed(0))).join(" | ")} | |`,
    ...(note ? [note] : []),
    "",
  ];
  const md = [
    "# Cost growth to a million images (issue 33)",
    "",
    "Command: `npx tsx bench/scale/run.ts` (writes this file and `scale.svg`). Generated data at the",
    "features boundary (10 classes, D = 64 embeddings from clustered Gaussians, C = 10 logits), every",
    "later stage's own code in a child process of its own (peak RSS = that process's maxRSS, Node's",
    `baseline ≈ 60 MiB included). Machine: ${cpus().length} cores shared with other sessions, load average`,
    `${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (${((Date.now() - t0) / 60000).toFixed(1)} min): absolute seconds are inflated by`,
    "the load, exponents less so. Exponent: least-squares slope of log time on log N.",
    "",
    "## Binning, one class (GraphCut bins, m = 10)",
    "",
    ...table(
      "exact greedy",
      exact,
      `Exact greedy at one class of ${big.toLocaleString("en")}: **≈ ${fmt(exactBig)} s extrapolated** (not run: n^${exponent(exact).toFixed(2)}).`,
    ),
    ...table("stochastic greedy (ε = 0.01)", stochastic),
    "| stochastic vs exact | " +
      stochastic
        .filter((r) => (r.extra as { agreement?: number }).agreement !== undefined)
        .map((r) => {
          const e = r.extra as { agreement: number; firstBinValueRatio: number };
          return `N = ${r.n.toLocaleString("en")}: same bin ${(100 * e.agreement).toFixed(1)}%, first-bin GraphCut value ${(100 * e.firstBinValueRatio).toFixed(2)}% of exact`;
        })
        .join("; ") +
      " |",
    "",
    "Chance agreement (a random partition with the same sizes) is 10%. The binning stage uses the",
    "stochastic builder above 20,000 items per class (`STOCHASTIC_BINNING_ABOVE`), exact below.",
    "",
    "## Per job (10 classes)",
    "",
    ...table("binning, all classes (the stage's rule)", binAll),
    ...table("CCS selection (EL2N, β 0.3, 50 strata)", ccs),
    ...table(
      "cross-fitted head (5 folds, 100 epochs)",
      head,
      `At N = 100,000: ≈ ${fmt(head100k)} s, at N = ${(quick ? 100_000 : 1_000_000).toLocaleString("en")}: **≈ ${fmt(headBig)} s extrapolated** (not run).`,
    ),
    ...table("coordinator: listing + fingerprint + manifest", coordinator),
    `Manifest bytes: ${coordinator.map((r) => `N = ${r.n.toLocaleString("en")}: ${((r.extra as { manifestBytes: number }).manifestBytes / 2 ** 20).toFixed(1)} MiB`).join(", ")} (round(0.1·N) items).`,
    "",
    "## Artifact bytes per job",
    "",
    "Features shards are float32 [N, width]: per item embedding D + logits C + pooled P + texture 1",
    "(+ a view D + P for ADQ, + p² CAM scores with patch dropping), the head's held-out logits C",
    "per item when a head is fitted. Per item and at 1M items:",
    "",
    "| feature model | floats per item (CCS) | bytes per item | at N = 1M |",
    "| --- | ---: | ---: | ---: |",
    `| ResNet-20 (D 64, C 10, P 0) | ${64 + 10 + 1} | ${(64 + 10 + 1) * 4} | ${(((64 + 10 + 1) * 4 * 1e6) / 2 ** 30).toFixed(2)} GiB |`,
    `| EfficientNet-Lite0 (D 1280, C 1000, P 152) + head (10 classes) | ${1280 + 1000 + 152 + 1 + 10} | ${(1280 + 1000 + 152 + 1 + 10) * 4} | ${(((1280 + 1000 + 152 + 1 + 10) * 4 * 1e6) / 2 ** 30).toFixed(2)} GiB |`,
    "",
  ].join("\n");
  writeFileSync(join(HERE, quick ? "RESULTS-quick.md" : "RESULTS.md"), md);
  const pts = (rs: Row[]) => rs.map((r) => [r.n, r.seconds] as [number, number]);
  writeFileSync(
    join(HERE, quick ? "scale-quick.svg" : "scale.svg"),
    svg([
      { name: `binning one class, exact (n^${exponent(exact).toFixed(2)})`, points: pts(exact) },
      {
        name: "  exact, extrapolated",
        points: [
          [exact[exact.length - 1]!.n, exact[exact.length - 1]!.seconds],
          [big, exactBig],
        ],
        dashed: true,
      },
      {
        name: `binning one class, stochastic (n^${exponent(stochastic).toFixed(2)})`,
        points: pts(stochastic),
      },
      {
        name: `binning all classes, stage rule (N^${exponent(measured(binAll)).toFixed(2)})`,
        points: pts(binAll),
      },
      { name: `cross-fitted head (N^${exponent(head).toFixed(2)})`, points: pts(head) },
      { name: `CCS selection (N^${exponent(ccs).toFixed(2)})`, points: pts(ccs) },
      { name: `coordinator + manifest (N^${exponent(coordinator).toFixed(2)})`, points: pts(coordinator) },
    ]),
  );
  process.stdout.write(md);
}

await main();
