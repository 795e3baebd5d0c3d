/**
 * `report.html`: one self-contained page (inline CSS, inline SVG, thumbnails as data: URIs; no
 * scripts, no external resources) summarising a compression run — its parameters, per-class
 * counts, the paper's Fig. 2 (RS, DS and IS per bin), the allocation per bin against DQ's uniform
 * share, the pixel-quantization storage, stage timings and a grid of selected images.
 *
 * Deterministic: a pure function of its input (no dates, no host names, no locale), so two runs
 * with the same inputs give byte-identical pages. Every string that comes from the data set or
 * the user (class names, ids, paths) is escaped.
 */

import { METHODS } from "../methods.ts";
import type { BinRecord, BinsFile, Manifest, Method, StoreSummary } from "../outputs.ts";
import { PARAMS } from "../params.ts";
import {
  barChart,
  escapeXml as esc,
  formatBytes,
  formatInt,
  formatNumber,
  type LineSeries,
  lineChart,
} from "./svg.ts";

export interface ReportThumbnail {
  /** Manifest item id (shown as the tooltip). */
  id: string;
  /** Class index (captioned with its class name). */
  label: number;
  /** PNG bytes, e.g. from `encodeThumbnailPng`. */
  png: Uint8Array;
}

export interface ReportInput {
  bins: BinsFile;
  manifest: Manifest;
  /** Selected images to show, in display order. */
  thumbnails: readonly ReportThumbnail[];
  /** Wall time per stage in milliseconds, in run order. */
  timings?: Record<string, number>;
  /** Pixel-quantization storage summary; defaults to `manifest.store`. */
  store?: StoreSummary | null;
  /** Most thumbnails in the grid (default DEFAULT_MAX_THUMBNAILS); the page says when it cuts. */
  maxThumbnails?: number;
}

export const DEFAULT_MAX_THUMBNAILS = 120;
/** Most per-class lines drawn in each Fig. 2 chart (the mean always covers every class). */
export const MAX_CLASS_LINES = 200;
/** Most rows in the per-bin detail table. */
export const MAX_DETAIL_ROWS = 2000;

const COLORS = {
  rs: "#2b6c8f",
  ds: "#6b4f96",
  is: "#b45f1e",
  allocated: "#2b6c8f",
  uniform: "#c3cad3",
  bar: "#2b6c8f",
};

/** A method's name in the report (the method table's label; an unknown one as it is). */
function methodLabel(method: Method): string {
  return METHODS[method]?.label ?? method;
}

function pct(part: number, whole: number): string {
  return whole > 0 && Number.isFinite(part) ? `${formatNumber((100 * part) / whole)}%` : "–";
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${formatNumber(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${formatNumber(s)} s`;
  const min = Math.floor(s / 60);
  const sec = Math.round(s - min * 60);
  return `${min} min ${String(sec).padStart(2, "0")} s`;
}

/** The last two segments of a path ("cifar10/train"), which name a data set better than one. */
function shortName(path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p.length > 0);
  return parts.length > 0 ? parts.slice(-2).join("/") : path;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Width and height from a PNG's IHDR chunk, or null when the bytes are not a PNG. */
function pngSize(png: Uint8Array): { width: number; height: number } | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) return null;
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  return width > 0 && height > 0 ? { width, height } : null;
}

const CSS = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--panel:#f8fafc;--accent:#2b6c8f;--page:#eef1f4}
*{box-sizing:border-box}
body{margin:0;background:var(--page);color:var(--ink);font:14px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1160px;margin:0 auto;background:#fff;padding:36px 40px 28px;min-height:100vh}
header{border-bottom:1px solid var(--line);padding-bottom:22px}
.eyebrow{margin:0;color:var(--muted);font-size:12px;letter-spacing:.08em;text-transform:uppercase}
h1{margin:4px 0 2px;font-size:26px;font-weight:650;letter-spacing:-.01em}
h2{margin:34px 0 6px;font-size:17px;font-weight:650}
h2+p.lead{margin-top:0}
p.lead,.muted{color:var(--muted)}
p.lead{margin:0 0 14px;max-width:78ch}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.path{margin:0;color:var(--muted);word-break:break-all}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:20px 0 0;padding:0}
.fact{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:0}
.fact dt{font-size:12px;color:var(--muted)}
.fact dd{margin:2px 0 0;font-size:16px;font-weight:600;font-variant-numeric:tabular-nums;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.fact dd small{font-weight:400;color:var(--muted);font-size:12px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;width:100%}
caption{text-align:left;color:var(--muted);font-size:12px;padding:0 0 6px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
thead th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:1px solid #d1d5db}
tfoot td,tfoot th{font-weight:600;border-top:1px solid #d1d5db;border-bottom:none}
.num{text-align:right}
.w-bar{width:32%}
.meter{height:8px;background:var(--line);border-radius:4px;overflow:hidden}
.meter>span{display:block;height:100%;background:var(--accent);border-radius:4px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:14px}
.chart-figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px 10px 6px}
.chart-figure figcaption{font-size:13px;font-weight:600;margin:0 0 2px 4px}
.chart-figure figcaption span{font-weight:400;color:var(--muted)}
svg.chart{display:block;width:100%;height:auto}
.note{margin:0;color:var(--muted);background:var(--panel);border:1px solid var(--line);border-left:3px solid #cbd5e1;border-radius:4px;padding:10px 14px}
.chart-figure .note{margin:8px 4px}
details{margin-top:12px}
summary{cursor:pointer;color:var(--accent);font-size:13px}
details table{margin-top:8px;font-size:13px}
.scroll{max-height:480px;overflow:auto;border:1px solid var(--line);border-radius:6px;margin-top:8px}
.scroll table{margin:0}
.scroll thead th{position:sticky;top:0;background:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(88px,1fr));gap:12px 10px;margin-top:12px}
.thumb{margin:0;min-width:0}
.thumb img{display:block;width:100%;height:auto;image-rendering:pixelated;image-rendering:crisp-edges;border-radius:3px;background:var(--panel);outline:1px solid var(--line)}
.thumb figcaption{font-size:11.5px;color:var(--muted);text-align:center;margin-top:3px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
footer{margin-top:40px;padding-top:14px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
@media print{body{background:#fff}main{padding:0}.scroll{max-height:none;overflow:visible}}
`;

interface ClassStats {
  size: number | null;
  bins: number;
  allocated: number | null;
}

/** Renders the report page. */
export function renderReport(input: ReportInput): string {
  const { bins, manifest } = input;
  const classes = bins.classes.length > 0 ? bins.classes : manifest.dataset.classes;
  const className = (i: number): string => classes[i] ?? `class ${i}`;
  const records = bins.bins.filter((r) => r.bin >= 0);
  const store = input.store !== undefined ? input.store : manifest.store;
  const datasetName = shortName(manifest.dataset.path);

  const parts: string[] = [];
  parts.push(
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="${esc(`${manifest.tool.name} ${manifest.tool.version}`)}">`,
    `<title>${esc(`${METHODS[manifest.method]?.short ?? manifest.method} report · ${datasetName}`)}</title><style>${CSS}</style></head><body><main>`,
  );
  parts.push(renderHeader(input, datasetName));
  parts.push(renderSummary(manifest, records, classes.length, className));
  // Only what the method that ran produced: bin scores (ADQ), a per-bin allocation (ADQ, DQ),
  // difficulty strata (CCS); random sampling has none of these.
  // What each method produces is its row in the method table (methods.ts).
  const spec = METHODS[manifest.method];
  if (spec?.scores) parts.push(renderFig2(bins, records, className));
  if (spec?.bins) parts.push(renderAllocation(bins, records, className));
  if (spec?.sampler === "strata") parts.push(renderCcs(manifest, className));
  parts.push(renderStorage(store, manifest));
  if (input.timings && Object.keys(input.timings).length > 0) parts.push(renderTimings(input.timings));
  parts.push(renderThumbnails(input, className));
  if (manifest.skipped.length > 0) parts.push(renderSkipped(manifest));
  parts.push(
    `<footer>Generated by ${esc(manifest.tool.name)} ${esc(manifest.tool.version)} from <code>manifest.json</code> and <code>bins.json</code>. ` +
      `${METHODS[manifest.method]?.citation ? `Method: ${METHODS[manifest.method]!.citation}. ` : ""}Re-running with the same inputs and seed gives this page byte for byte.</footer>`,
    "</main></body></html>",
    "",
  );
  return parts.join("\n");
}

function fact(label: string, value: string, title?: string): string {
  return `<div class="fact"><dt>${label}</dt><dd${title ? ` title="${esc(title)}"` : ""}>${value}</dd></div>`;
}

function renderHeader(input: ReportInput, datasetName: string): string {
  const { manifest } = input;
  const p = manifest.params;
  const model = manifest.model;
  const facts = [
    fact("Method", esc(methodLabel(manifest.method))),
    fact("Keep ratio ρ", `${esc(formatNumber(p.ratio))} <small>(${esc(pct(p.ratio, 1))})</small>`),
    ...(reads(manifest.method, "bins") ? [fact("Bins per class m", esc(formatInt(p.bins)))] : []),
    ...(reads(manifest.method, "alpha") ? [fact("Weight α", esc(formatNumber(p.alpha)))] : []),
    // Older manifests have no strength: they were made with the then-fixed default.
    ...(reads(manifest.method, "strength")
      ? [fact("Strength s", esc(formatNumber(p.strength ?? PARAMS.strength.default)))]
      : []),
    ...(METHODS[manifest.method]?.sampler === "strata"
      ? [
          fact("Hard cut-off β", esc(formatNumber(manifest.ccs?.beta ?? p.ccsBeta))),
          fact("Strata", esc(formatInt(manifest.ccs?.strata ?? p.ccsStrata))),
        ]
      : []),
    // Bin methods on held-out difficulty (absent at the paper's recipe, β = 0 and no strata).
    ...(manifest.adq && manifest.adq.beta > 0
      ? [
          fact(
            "Hard cut-off β",
            `${esc(formatNumber(manifest.adq.beta))} <small>(${esc(formatInt(manifest.adq.classes.reduce((a, c) => a + c.pruned, 0)))} cut)</small>`,
            "the hardest share of each class (held-out EL2N) left its bins before the allocation",
          ),
        ]
      : []),
    ...(manifest.adq && manifest.adq.strata > 0
      ? [
          fact(
            "Strata per bin",
            esc(formatInt(manifest.adq.strata)),
            "each bin's count drawn by held-out difficulty strata, as CCS draws a class",
          ),
        ]
      : []),
    fact("Patch drop θ", esc(formatNumber(p.drop))),
    fact("Seed", esc(String(p.seed))),
    fact("Images N", esc(formatInt(manifest.total))),
    fact(
      "Selected",
      `${esc(formatInt(manifest.selected))} <small>(${esc(pct(manifest.selected, manifest.total))})</small>`,
    ),
    fact("Classes", esc(formatInt(manifest.dataset.classes.length))),
    model
      ? fact(
          "Model",
          `<span class="mono">${esc(model.sha256.slice(0, 12))}</span>`,
          `${model.file} · sha256 ${model.sha256}`,
        )
      : fact("Model", `<small>none</small>`),
  ];
  const g = manifest.gradient;
  if (g)
    facts.push(
      g.source === "model"
        ? fact("Gradient p", "model's logits", "the model's classes are the data set's")
        : fact(
            "Gradient p",
            `fitted head <small>(${esc(pct(g.heldOutAccuracy, 1))} held-out)</small>`,
            g.reason,
          ),
    );
  const paramRows = (Object.keys(manifest.params) as Array<keyof typeof manifest.params>)
    .filter((k) => reads(manifest.method, k))
    .map(
      (k) =>
        `<tr><th scope="row"><code>${esc(k)}</code></th><td>${esc(String(manifest.params[k]))}</td></tr>`,
    )
    .join("");
  const more: string[] = [
    `<tr><th scope="row">Data set</th><td><code>${esc(manifest.dataset.path)}</code> (${esc(manifest.dataset.format)})</td></tr>`,
    `<tr><th scope="row">Data set fingerprint</th><td><code>${esc(manifest.dataset.fingerprint)}</code></td></tr>`,
  ];
  if (model)
    more.push(
      `<tr><th scope="row">Model</th><td><code>${esc(model.file)}</code><br><span class="mono">sha256 ${esc(model.sha256)}</span></td></tr>`,
    );
  // A fitted head is explained once, in the note below; the model's own logits only here.
  if (g && g.source !== "fitted-head")
    more.push(`<tr><th scope="row">Gradient embedding</th><td>${esc(describeGradient(g))}</td></tr>`);
  return (
    `<header><p class="eyebrow">${esc(manifest.tool.name)} ${esc(manifest.tool.version)} · compression report</p>` +
    `<h1>${esc(methodLabel(manifest.method))} compression of ${esc(datasetName)}</h1>` +
    `<p class="path"><code>${esc(manifest.dataset.path)}</code> · ${esc(manifest.dataset.format)}</p>` +
    `<dl class="facts">${facts.join("")}</dl>` +
    `<details><summary>All parameters</summary><table><caption>Run parameters as recorded in manifest.json</caption>` +
    `<thead><tr><th scope="col">Parameter</th><th scope="col">Value</th></tr></thead><tbody>${more.join("")}${paramRows}</tbody></table></details>` +
    (g?.source === "fitted-head" ? `<p class="note">${esc(describeGradient(g))}</p>` : "") +
    `</header>`
  );
}

/** Whether `method` reads the parameter (the table's `methods`; absent: every method). */
function reads(method: Method, key: string): boolean {
  const spec = (PARAMS as Record<string, { methods?: readonly string[] }>)[key];
  return !spec?.methods || spec.methods.includes(method);
}

/**
 * CCS: the hard cut-off (β of each class's hardest items dropped), the difficulty strata
 * (equal-width per class over the remaining range) and how many each stratum gave, summed
 * over classes as a histogram, then per class.
 */
function renderCcs(manifest: Manifest, className: (i: number) => string): string {
  const head = `<section id="ccs"><h2>Difficulty strata (CCS)</h2>`;
  const ccs = manifest.ccs;
  if (!ccs)
    return `${head}<p class="note">This manifest records no CCS strata (an older version).</p></section>`;
  const k = ccs.strata;
  const sizes = new Array<number>(k).fill(0);
  const counts = new Array<number>(k).fill(0);
  for (const c of ccs.classes)
    for (let s = 0; s < k; s++) {
      sizes[s]! += c.strataSizes[s] ?? 0;
      counts[s]! += c.strataCounts[s] ?? 0;
    }
  const pruned = ccs.classes.reduce((a, c) => a + c.pruned, 0);
  const svg = barChart({
    id: "ccs-strata-chart",
    title: "Items per difficulty stratum (easiest first), summed over classes, and how many were kept",
    desc: `${k} strata per class; ${formatInt(counts.reduce((a, b) => a + b, 0))} items kept in all.`,
    xLabel: "Stratum (difficulty, easiest → hardest, per class)",
    yLabel: "Images",
    categories: sizes.map((_, s) => String(s)),
    series: [
      { name: "In the stratum", values: sizes, color: COLORS.uniform },
      { name: "Kept", values: counts, color: COLORS.allocated },
    ],
    width: 1060,
    height: 270,
  });
  const rows = ccs.classes
    .map((c, i) => {
      const inStrata = c.strataSizes.reduce((a, b) => a + b, 0);
      const kept = c.strataCounts.reduce((a, b) => a + b, 0);
      const used = c.strataSizes.filter((n) => n > 0).length;
      return (
        `<tr><td class="num">${i}</td><th scope="row">${esc(className(i))}</th><td class="num">${formatInt(c.pruned + inStrata)}</td>` +
        `<td class="num">${formatInt(c.pruned)}</td><td class="num">${formatInt(used)}</td><td class="num">${formatInt(kept)}</td></tr>`
      );
    })
    .join("");
  return (
    `${head}<p class="lead">Difficulty is the held-out EL2N score ‖p − y‖₂. In each class the hardest β = ${esc(formatNumber(ccs.beta))} ` +
    `of the items are cut off first (${formatInt(pruned)} in all: likely mislabelled or ambiguous), the remaining difficulty range is split into ` +
    `${formatInt(k)} strata of equal width, and the budget is spread over them from the smallest up (small strata are kept whole), ` +
    `so easy, medium and hard items are all covered.</p>` +
    `<figure class="chart-figure">${svg}</figure>` +
    `<div class="scroll"><table><caption>Per class: items, cut off as too hard, non-empty strata, kept</caption>` +
    `<thead><tr><th scope="col" class="num">#</th><th scope="col">Class</th><th scope="col" class="num">Images</th>` +
    `<th scope="col" class="num">Cut off (β)</th><th scope="col" class="num">Strata used</th><th scope="col" class="num">Kept</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div></section>`
  );
}

/** One sentence on where p in p − y came from (manifest.gradient). */
export function describeGradient(g: NonNullable<Manifest["gradient"]>): string {
  if (g.source === "model")
    return `p in the gradient embeddings p − y is the model's own softmax over its ${g.modelClasses} classes (the data set's classes are among them).`;
  return (
    `The model's classes are not the data set's (${g.reason}), so p in the gradient embeddings p − y comes from a softmax head ` +
    `fitted on the model's embeddings over the data set's classes, cross-fitted over ${g.folds} folds so that every image's p is held-out ` +
    `(${g.epochs} iterations, L2 ${g.l2}${g.projectedDim ? `, embeddings randomly projected to ${g.projectedDim} dimensions` : ""}; held-out accuracy ${(100 * g.heldOutAccuracy).toFixed(1)}% on ${g.items} images).`
  );
}

function classStats(records: readonly BinRecord[], nClasses: number): ClassStats[] {
  const stats: ClassStats[] = Array.from({ length: nClasses }, () => ({
    size: null,
    bins: 0,
    allocated: null,
  }));
  for (const r of records) {
    const s = stats[r.class];
    if (!s) continue;
    s.size = (s.size ?? 0) + r.size;
    s.allocated = (s.allocated ?? 0) + r.allocated;
    s.bins++;
  }
  return stats;
}

function renderSummary(
  manifest: Manifest,
  records: readonly BinRecord[],
  nClasses: number,
  className: (i: number) => string,
): string {
  const n = Math.max(nClasses, manifest.perClass.length);
  const stats = classStats(records, n);
  const haveSizes = stats.some((s) => s.size !== null);
  let rows = "";
  for (let c = 0; c < n; c++) {
    const s = stats[c]!;
    const sel = manifest.perClass[c] ?? 0;
    rows +=
      `<tr><td class="num">${c}</td><th scope="row">${esc(className(c))}</th>` +
      (haveSizes ? `<td class="num">${s.size === null ? "–" : formatInt(s.size)}</td>` : "") +
      (haveSizes ? `<td class="num">${formatInt(s.bins)}</td>` : "") +
      `<td class="num">${formatInt(sel)}</td>` +
      (haveSizes ? `<td class="num">${s.size === null ? "–" : pct(sel, s.size)}</td>` : "") +
      `</tr>`;
  }
  const totalSel = manifest.perClass.reduce((a, b) => a + b, 0);
  const foot =
    `<tfoot><tr><td></td><th scope="row">Total</th>` +
    (haveSizes
      ? `<td class="num">${formatInt(manifest.total)}</td><td class="num">${formatInt(records.length)}</td>`
      : "") +
    `<td class="num">${formatInt(totalSel)}</td>` +
    (haveSizes ? `<td class="num">${pct(totalSel, manifest.total)}</td>` : "") +
    `</tr></tfoot>`;
  const head =
    `<thead><tr><th scope="col" class="num">#</th><th scope="col">Class</th>` +
    (haveSizes ? `<th scope="col" class="num">Images</th><th scope="col" class="num">Bins</th>` : "") +
    `<th scope="col" class="num">Selected</th>` +
    (haveSizes ? `<th scope="col" class="num">Kept</th>` : "") +
    `</tr></thead>`;
  return (
    `<section id="summary"><h2>Per-class summary</h2>` +
    `<p class="lead">Images selected from each class; in all, round(ρ·N) = ${formatInt(manifest.selected)} of ${formatInt(manifest.total)}.</p>` +
    `<div class="scroll"><table><caption>Images, bins and selected images per class</caption>${head}<tbody>${rows}</tbody>${foot}</table></div></section>`
  );
}

type ScoreKey = "rs" | "ds" | "is";

/** A score's fields in a bin record: its normalised form and its raw one. */
type ScoreField = "rs" | "ds" | "rsZ" | "dsZ" | "importance";

/** One panel of Fig. 2 (drawn in COLORS[key]). */
interface Metric {
  key: ScoreKey;
  name: string;
  long: string;
  normalised: ScoreField;
  raw: ScoreField;
}

const METRICS: Metric[] = [
  { key: "rs", name: "RS", long: "Representativeness", normalised: "rsZ", raw: "rs" },
  { key: "ds", name: "DS", long: "Diversity", normalised: "dsZ", raw: "ds" },
  { key: "is", name: "IS", long: "Importance", normalised: "importance", raw: "importance" },
];

function finite(v: number | null | undefined): v is number {
  return v !== null && v !== undefined && Number.isFinite(v);
}

/** Bin indices 0..m−1 present in the records. */
function binAxis(records: readonly BinRecord[]): number[] {
  let m = 0;
  for (const r of records) m = Math.max(m, r.bin + 1);
  return Array.from({ length: m }, (_, i) => i);
}

function noScoresNote(method: Method, records: readonly BinRecord[]): string {
  if (records.length === 0)
    return `${esc(methodLabel(method))} selection has no bins, so there are no bin scores to plot.`;
  if (!METHODS[method]?.scores)
    return `${esc(methodLabel(method))} samples every bin uniformly and does not score bins, so there is no RS, DS or IS to plot.`;
  return "No bin has this score in bins.json.";
}

function renderFig2(bins: BinsFile, records: readonly BinRecord[], className: (i: number) => string): string {
  const xs = binAxis(records);
  const classIds = [...new Set(records.map((r) => r.class))].sort((a, b) => a - b);
  const p = bins.params;
  const figures = METRICS.map((metric, k) => {
    const letter = String.fromCharCode(98 + k); // (b), (c), (d) as in the paper
    const hasNorm = records.some((r) => finite(r[metric.normalised]));
    const hasRaw = records.some((r) => finite(r[metric.raw]));
    const field = hasNorm ? metric.normalised : metric.raw;
    const color = COLORS[metric.key];
    const cap = `<figcaption>(${letter}) ${metric.long} score ${metric.name} <span>per bin</span></figcaption>`;
    if (!hasNorm && !hasRaw)
      return `<figure class="chart-figure" data-metric="${metric.key}">${cap}<p class="note">${noScoresNote(bins.method, records)}</p></figure>`;
    const grid = new Map<number, Array<number | null>>();
    for (const c of classIds) grid.set(c, new Array<number | null>(xs.length).fill(null));
    for (const r of records) {
      const v = r[field];
      grid.get(r.class)![r.bin] = finite(v) ? v : null;
    }
    const mean = xs.map((b) => {
      let sum = 0;
      let n = 0;
      for (const c of classIds) {
        const v = grid.get(c)![b];
        if (finite(v)) {
          sum += v;
          n++;
        }
      }
      return n > 0 ? sum / n : null;
    });
    const drawn = classIds.slice(0, MAX_CLASS_LINES);
    const series: LineSeries[] = drawn.map((c) => ({
      name: className(c),
      values: grid.get(c)!,
      color,
      strokeWidth: 1.1,
      opacity: 0.28,
    }));
    series.push({
      name: "Mean over classes",
      values: mean,
      color,
      strokeWidth: 2.6,
      markers: true,
    });
    const scale = hasNorm
      ? metric.key === "is"
        ? "IS (weighted sum of z-scores)"
        : `${metric.name} (z-score)`
      : `${metric.name} (raw)`;
    const svg = lineChart({
      id: `fig2-${metric.key}`,
      title: `Fig. 2(${letter}): ${metric.long} score (${metric.name}) of each bin, ${hasNorm ? "normalised" : "raw"}`,
      desc: `One faint line per class (${classIds.length} classes) and a bold line for the mean over classes, against the bin index in generation order.`,
      xLabel: "Bin index",
      yLabel: scale,
      x: xs,
      series,
      width: 340,
      height: 240,
      legend: [
        { label: `Each class (${classIds.length})`, color, strokeWidth: 1.1, opacity: 0.4 },
        { label: "Mean", color, strokeWidth: 2.6 },
      ],
    });
    const cut =
      drawn.length < classIds.length
        ? `<p class="muted" style="font-size:12px;margin:2px 4px">Lines for the first ${MAX_CLASS_LINES} of ${formatInt(classIds.length)} classes; the mean covers all.</p>`
        : "";
    return `<figure class="chart-figure" data-metric="${metric.key}">${cap}${svg}${cut}</figure>`;
  });
  return (
    `<section id="fig2"><h2>Bin scores during bin generation (paper Fig. 2)</h2>` +
    `<p class="lead">Bins are numbered in the order they were generated. RS is the bin's texture level and DS its diversity; both are normalised to z-scores (paper Eq. 6–7) and IS = ${esc(formatNumber(p.rsWeight))}·z(RS) + ${esc(formatNumber(p.dsWeight))}·z(DS) combines them (Eq. 8). ` +
    `ADQ keeps more from bins with a high IS; DQ keeps the same share ρ of every bin.</p>` +
    `<div class="charts">${figures.join("")}</div></section>`
  );
}

function renderAllocation(
  bins: BinsFile,
  records: readonly BinRecord[],
  className: (i: number) => string,
): string {
  const rho = bins.params.ratio;
  const head = `<section id="allocation"><h2>Allocation per bin</h2>`;
  if (records.length === 0)
    return `${head}<p class="note">${esc(methodLabel(bins.method))} selection draws from each class as a whole; there is no per-bin allocation.</p></section>`;
  const xs = binAxis(records);
  const allocated = xs.map(() => 0);
  const uniform = xs.map(() => 0);
  for (const r of records) {
    allocated[r.bin]! += r.allocated;
    uniform[r.bin]! += r.size * rho;
  }
  const totalAlloc = allocated.reduce((a, b) => a + b, 0);
  const svg = barChart({
    id: "allocation-chart",
    title: "Images allocated per bin index, summed over classes, against DQ's uniform share size·ρ",
    desc: `${xs.length} bins; ${formatInt(totalAlloc)} images allocated in all.`,
    xLabel: "Bin index",
    yLabel: "Images",
    categories: xs.map((b) => String(b)),
    series: [
      { name: "Allocated", values: allocated, color: COLORS.allocated },
      { name: `Uniform share (size·ρ, ρ = ${formatNumber(rho)})`, values: uniform, color: COLORS.uniform },
    ],
    width: 1060,
    height: 270,
  });
  const detail = renderBinDetails(records, rho, className);
  return (
    `${head}<p class="lead">Images kept from each bin index, summed over all classes, beside the share a uniform (DQ) sampler would keep. ` +
    `Bars above the grey share mark bins the importance score favours.</p>` +
    `<figure class="chart-figure">${svg}</figure>${detail}</section>`
  );
}

function cell(v: number | null): string {
  return `<td class="num">${finite(v) ? esc(formatNumber(v)) : "–"}</td>`;
}

function renderBinDetails(
  records: readonly BinRecord[],
  rho: number,
  className: (i: number) => string,
): string {
  const shown = records.slice(0, MAX_DETAIL_ROWS);
  const rows = shown
    .map(
      (r) =>
        `<tr><th scope="row">${esc(className(r.class))}</th><td class="num">${r.bin}</td><td class="num">${formatInt(r.size)}</td>` +
        cell(r.rs) +
        cell(r.ds) +
        cell(r.rsZ) +
        cell(r.dsZ) +
        cell(r.importance) +
        `<td class="num">${formatInt(r.allocated)}</td>${cell(r.size * rho)}</tr>`,
    )
    .join("");
  const cut =
    shown.length < records.length
      ? `<p class="muted">First ${formatInt(MAX_DETAIL_ROWS)} of ${formatInt(records.length)} bins; bins.json has them all.</p>`
      : "";
  return (
    `<details><summary>Per-bin details (${formatInt(records.length)} bins)</summary>${cut}<div class="scroll"><table>` +
    `<caption>Every bin as recorded in bins.json</caption><thead><tr><th scope="col">Class</th><th scope="col" class="num">Bin</th>` +
    `<th scope="col" class="num">Size</th><th scope="col" class="num">RS</th><th scope="col" class="num">DS</th>` +
    `<th scope="col" class="num">z(RS)</th><th scope="col" class="num">z(DS)</th><th scope="col" class="num">IS</th>` +
    `<th scope="col" class="num">Allocated</th><th scope="col" class="num">size·ρ</th></tr></thead><tbody>${rows}</tbody></table></div></details>`
  );
}

function meter(value: number, max: number): string {
  const w = max > 0 && Number.isFinite(value) ? Math.max(0, Math.min(100, (100 * value) / max)) : 0;
  return `<div class="meter" aria-hidden="true"><span style="width:${Number(w.toFixed(2))}%"></span></div>`;
}

/** How the store codes its images (older manifests: raw kept patches, format 1). */
function describeCodec(store: StoreSummary): string {
  switch (store.codec ?? "raw") {
    case "webp":
      return (
        `lossy WebP (quality ${store.quality}) of each image with its dropped patches filled (kept pixels approximate)` +
        (store.losslessImages
          ? `, except ${store.losslessImages} image(s) coded as lossless WebP because that was smaller (kept pixels exact)`
          : "")
      );
    case "webp-lossless":
      return "lossless WebP of each image with its dropped patches filled (kept pixels exact)";
    default:
      return "their kept patches' raw pixels (exact)";
  }
}

const PATCH_SCORES: Record<string, string> = {
  cam: "Dropped patches were ranked by the class activation map (CAM) of each image's own class, from the model's head.",
  activation:
    "Dropped patches were ranked by the class-agnostic activation map (channel sum of the model's last conv map): " +
    "the model's head cannot give CAM for this data set's classes (or the model has no head).",
  texture:
    "Dropped patches were ranked by Sobel texture (mean gradient magnitude per patch): the model has no feature map for CAM.",
};

function renderStorage(store: StoreSummary | null, manifest: Manifest): string {
  const head = `<section id="storage"><h2>Pixel-quantization storage</h2>`;
  if (!store)
    return `${head}<p class="note">No pixel-quantized store was written for this run, so there is no storage comparison.</p></section>`;
  const rows: Array<[string, number]> = [
    [`Pixel-quantized store <code>${esc(store.file)}</code>`, store.bytes],
    ["Selected images, raw RGB (H·W·3)", store.subsetRawBytes],
    ["Selected images, source files", store.subsetSourceBytes],
  ];
  const max = Math.max(...rows.map(([, b]) => b));
  const body = rows
    .map(
      ([label, b]) =>
        `<tr><th scope="row">${label}</th><td class="num">${formatInt(b)}</td><td class="num">${esc(formatBytes(b))}</td>` +
        `<td class="num">${pct(b, store.subsetRawBytes)}</td><td class="w-bar">${meter(b, max)}</td></tr>`,
    )
    .join("");
  const factor = (a: number, b: number) => (a > 0 && b > 0 ? `${formatNumber(b / a)}×` : "–");
  const grid = `${store.patchGrid}×${store.patchGrid}`;
  return (
    `${head}<p class="lead">Kept images are stored as ${esc(describeCodec(store))} plus a one-bit-per-patch mask (${esc(grid)} patches per image, ` +
    `θ = ${esc(formatNumber(store.drop))} of patches dropped), for ${formatInt(manifest.selected)} selected images. ` +
    `The store is <strong>${pct(store.bytes, store.subsetRawBytes)}</strong> of the raw subset (${factor(store.bytes, store.subsetRawBytes)} smaller) ` +
    `and <strong>${pct(store.bytes, store.subsetSourceBytes)}</strong> of its source files (${factor(store.bytes, store.subsetSourceBytes)} smaller).</p>` +
    (store.patchScores
      ? `<p class="note">${esc(PATCH_SCORES[store.patchScores] ?? store.patchScores)}</p>`
      : "") +
    `<table><caption>Bytes of the store against the selected subset</caption><thead><tr><th scope="col">What</th>` +
    `<th scope="col" class="num">Bytes</th><th scope="col" class="num">Size</th><th scope="col" class="num">vs raw</th><th scope="col"><span class="sr">Relative size</span></th></tr></thead>` +
    `<tbody>${body}</tbody></table></section>`
  );
}

function renderTimings(timings: Record<string, number>): string {
  const entries = Object.entries(timings);
  const total = entries.reduce((a, [, v]) => a + (Number.isFinite(v) && v > 0 ? v : 0), 0);
  const max = Math.max(0, ...entries.map(([, v]) => (Number.isFinite(v) ? v : 0)));
  const rows = entries
    .map(
      ([stage, ms]) =>
        `<tr><th scope="row">${esc(stage)}</th><td class="num">${esc(formatMs(ms))}</td><td class="num">${pct(ms, total)}</td><td class="w-bar">${meter(ms, max)}</td></tr>`,
    )
    .join("");
  return (
    `<section id="timings"><h2>Stage timings</h2><table><caption>Wall time per stage, in run order</caption>` +
    `<thead><tr><th scope="col">Stage</th><th scope="col" class="num">Time</th><th scope="col" class="num">Share</th><th scope="col"><span class="sr">Relative time</span></th></tr></thead>` +
    `<tbody>${rows}</tbody><tfoot><tr><th scope="row">Total</th><td class="num">${esc(formatMs(total))}</td><td class="num">${total > 0 ? "100%" : "–"}</td><td></td></tr></tfoot></table></section>`
  );
}

/**
 * At most `cap` thumbnails with every class represented: each class gets an equal share
 * (leftover shares go to the classes with more), in the input order. O(n).
 */
function spreadOverClasses<T extends { label: number }>(all: readonly T[], cap: number): T[] {
  if (all.length <= cap) return [...all];
  const byClass = new Map<number, number>();
  for (const t of all) byClass.set(t.label, (byClass.get(t.label) ?? 0) + 1);
  const quota = new Map<number, number>();
  let left = cap;
  // Water-filling: classes with fewer than the fair share take all of theirs.
  const sorted = [...byClass.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  sorted.forEach(([label, n], i) => {
    const share = Math.floor(left / (sorted.length - i));
    const take = Math.min(n, share);
    quota.set(label, take);
    left -= take;
  });
  const out: T[] = [];
  for (const t of all) {
    const q = quota.get(t.label) ?? 0;
    if (q > 0) {
      out.push(t);
      quota.set(t.label, q - 1);
    }
  }
  return out;
}

function renderThumbnails(input: ReportInput, className: (i: number) => string): string {
  const cap = Math.max(0, Math.floor(input.maxThumbnails ?? DEFAULT_MAX_THUMBNAILS));
  const all = input.thumbnails;
  const shown = spreadOverClasses(all, cap);
  const head = `<section id="images"><h2>Selected images</h2>`;
  if (all.length === 0)
    return `${head}<p class="note">No thumbnails were provided for this run.</p></section>`;
  const selected = input.manifest.selected;
  const lead =
    shown.length < all.length || all.length < selected
      ? `Showing ${formatInt(shown.length)} of ${formatInt(selected)} selected images (the grid is capped at ${formatInt(cap)}); manifest.json lists them all.`
      : `All ${formatInt(shown.length)} selected images.`;
  const items = shown
    .map((t) => {
      const size = pngSize(t.png);
      const dims = size ? ` width="${size.width}" height="${size.height}"` : "";
      const name = className(t.label);
      return (
        `<figure class="thumb"><img src="data:image/png;base64,${toBase64(t.png)}"${dims} alt="${esc(`${name}: ${t.id}`)}" title="${esc(t.id)}">` +
        `<figcaption>${esc(name)}</figcaption></figure>`
      );
    })
    .join("");
  return `${head}<p class="lead">${lead} Thumbnails are shown at their own resolution, enlarged without smoothing.</p><div class="grid">${items}</div></section>`;
}

function renderSkipped(manifest: Manifest): string {
  const max = 200;
  const rows = manifest.skipped
    .slice(0, max)
    .map((s) => `<tr><td><code>${esc(s.id)}</code></td><td>${esc(s.reason)}</td></tr>`)
    .join("");
  const cut =
    manifest.skipped.length > max
      ? `<p class="muted">First ${max} of ${formatInt(manifest.skipped.length)}; manifest.json lists them all.</p>`
      : "";
  return (
    `<section id="skipped"><h2>Skipped files (${formatInt(manifest.skipped.length)})</h2>${cut}<div class="scroll"><table><caption>Unreadable inputs left out of the run</caption>` +
    `<thead><tr><th scope="col">Item</th><th scope="col">Reason</th></tr></thead><tbody>${rows}</tbody></table></div></section>`
  );
}
