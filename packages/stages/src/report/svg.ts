/**
 * Tiny, dependency-free SVG chart helpers for the HTML report: a line chart (series with gaps for
 * missing values) and a grouped bar chart, both with nice axis ticks, axis labels, a legend, and a
 * <title>/<desc> for screen readers. Pure functions of their input: the same spec always gives the
 * same string (coordinates are rounded to 2 decimals, numbers are formatted without the locale).
 */

/** Escapes text for HTML/XML content and double- or single-quoted attribute values. */
export function escapeXml(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** An integer with thousands separators ("50,000"); locale-independent. */
export function formatInt(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const rounded = Math.round(value);
  const sign = rounded < 0 ? "-" : "";
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function trimZeros(s: string): string {
  return s.includes(".") && !s.includes("e") ? s.replace(/\.?0+$/, "") : s;
}

/**
 * A compact number: 3 significant digits, k/M/G suffixes from 10,000 up, exponent notation below
 * 0.001; "–" for NaN or ±∞, "0" for ±0.
 */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return "–";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  if (abs >= 1e9) return `${sign}${trimZeros((abs / 1e9).toPrecision(digits))}G`;
  if (abs >= 1e6) return `${sign}${trimZeros((abs / 1e6).toPrecision(digits))}M`;
  if (abs >= 1e4) return `${sign}${trimZeros((abs / 1e3).toPrecision(digits))}k`;
  if (abs < 1e-3) {
    const [mant, exp] = abs.toExponential(Math.max(0, digits - 2)).split("e");
    return `${sign}${trimZeros(mant!)}e${Number(exp)}`;
  }
  return sign + String(Number(abs.toPrecision(digits)));
}

/** Bytes in binary units ("1.23 MiB"); exact below 1 KiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const sign = bytes < 0 ? "-" : "";
  return u === 0 ? `${sign}${formatInt(v)} B` : `${sign}${trimZeros(v.toPrecision(3))} ${units[u]}`;
}

/** A coordinate rounded to 2 decimals, without a trailing ".00" or a "-0". */
function c(v: number): string {
  const r = Number(v.toFixed(2));
  return String(r === 0 ? 0 : r);
}

function niceStep(rough: number): number {
  const exp = Math.floor(Math.log10(rough));
  const base = 10 ** exp;
  const f = rough / base;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * base;
}

export interface Ticks {
  /** Axis domain, widened to whole steps so the extreme ticks sit on the plot's edges. */
  min: number;
  max: number;
  values: number[];
}

/**
 * About `count` "nice" ticks (steps of 1, 2, 2.5 or 5 × 10^k) covering [min, max]. An empty or
 * degenerate range is widened around its value (around 0 for [0, 0]).
 */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = 1;
  }
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.5;
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / Math.max(1, count - 1));
  const lo = Math.floor(min / step + 1e-9);
  const hi = Math.ceil(max / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const values: number[] = [];
  for (let i = lo; i <= hi; i++) values.push(Number((i * step).toFixed(decimals)));
  return { min: values[0]!, max: values[values.length - 1]!, values };
}

export interface LegendEntry {
  label: string;
  color: string;
  /** "line" (default for line charts) or "box" (bar charts). */
  shape?: "line" | "box";
  strokeWidth?: number;
  opacity?: number;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** A chart's frame (the common margins, `left` for its y tick labels) and its plot area's size. */
function chartFrame(width: number, height: number, left: number): { f: Frame; pw: number; ph: number } {
  const f: Frame = { width, height, left, right: 14, top: 32, bottom: 44 };
  return { f, pw: f.width - f.left - f.right, ph: f.height - f.top - f.bottom };
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const INK = "#1f2937";
const MUTED = "#6b7280";
const GRID = "#e5e7eb";
const AXIS = "#9ca3af";

function openSvg(id: string, title: string, desc: string | undefined, f: Frame, kind: string): string {
  const t = `${id}-title`;
  const d = `${id}-desc`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${escapeXml(id)}" data-chart="${escapeXml(kind)}" ` +
    `viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" ` +
    `aria-labelledby="${escapeXml(t)}${desc ? ` ${escapeXml(d)}` : ""}" font-family="${FONT}" font-size="11" fill="${INK}">` +
    `<title id="${escapeXml(t)}">${escapeXml(title)}</title>` +
    (desc ? `<desc id="${escapeXml(d)}">${escapeXml(desc)}</desc>` : "")
  );
}

function yAxis(f: Frame, ticks: Ticks, y: (v: number) => number, label: string): string {
  const x0 = f.left;
  const x1 = f.width - f.right;
  let s = `<g class="axis y-axis">`;
  for (const v of ticks.values) {
    const yy = c(y(v));
    const stroke = v === 0 && ticks.min < 0 ? AXIS : GRID;
    s += `<line x1="${c(x0)}" x2="${c(x1)}" y1="${yy}" y2="${yy}" stroke="${stroke}" stroke-width="1"/>`;
    s += `<text x="${c(x0 - 6)}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="${MUTED}">${escapeXml(formatNumber(v))}</text>`;
  }
  const midY = f.top + (f.height - f.top - f.bottom) / 2;
  s += `<text class="axis-label" transform="translate(13 ${c(midY)}) rotate(-90)" text-anchor="middle" fill="${MUTED}">${escapeXml(label)}</text>`;
  return `${s}</g>`;
}

function xAxis(f: Frame, labels: Array<{ x: number; text: string }>, label: string): string {
  const yBase = f.height - f.bottom;
  let s = `<g class="axis x-axis"><line x1="${c(f.left)}" x2="${c(f.width - f.right)}" y1="${c(yBase)}" y2="${c(yBase)}" stroke="${AXIS}" stroke-width="1"/>`;
  // Thin the labels so they never overlap (about 7 px per character at this size).
  const widest = Math.max(1, ...labels.map((l) => l.text.length)) * 7 + 6;
  const room = (f.width - f.left - f.right) / Math.max(1, labels.length);
  const every = Math.max(1, Math.ceil(widest / Math.max(1, room)));
  labels.forEach((l, i) => {
    s += `<line x1="${c(l.x)}" x2="${c(l.x)}" y1="${c(yBase)}" y2="${c(yBase + 4)}" stroke="${AXIS}" stroke-width="1"/>`;
    if (i % every === 0)
      s += `<text x="${c(l.x)}" y="${c(yBase + 16)}" text-anchor="middle" fill="${MUTED}">${escapeXml(l.text)}</text>`;
  });
  s += `<text class="axis-label" x="${c(f.left + (f.width - f.left - f.right) / 2)}" y="${c(f.height - 6)}" text-anchor="middle" fill="${MUTED}">${escapeXml(label)}</text>`;
  return `${s}</g>`;
}

function legend(f: Frame, entries: LegendEntry[]): string {
  if (entries.length === 0) return "";
  let x = f.left;
  const y = 14;
  let s = `<g class="legend">`;
  for (const e of entries) {
    const op = e.opacity !== undefined && e.opacity < 1 ? ` opacity="${c(e.opacity)}"` : "";
    if (e.shape === "box") {
      s += `<rect x="${c(x)}" y="${y - 5}" width="10" height="10" rx="2" fill="${escapeXml(e.color)}"${op}/>`;
    } else {
      s += `<line x1="${c(x)}" x2="${c(x + 16)}" y1="${y}" y2="${y}" stroke="${escapeXml(e.color)}" stroke-width="${c(e.strokeWidth ?? 2)}" stroke-linecap="round"${op}/>`;
    }
    const tx = x + (e.shape === "box" ? 14 : 21);
    s += `<text x="${c(tx)}" y="${y}" dominant-baseline="middle">${escapeXml(e.label)}</text>`;
    x = tx + e.label.length * 6.2 + 14;
  }
  return `${s}</g>`;
}

export interface LineSeries {
  name: string;
  /** One value per x position; null leaves a gap. */
  values: ReadonlyArray<number | null>;
  color: string;
  strokeWidth?: number;
  opacity?: number;
  /** Draw a dot (with a tooltip) at each value. */
  markers?: boolean;
}

export interface LineChartSpec {
  /** Unique within the page; prefixes the ids of <title> and <desc>. */
  id: string;
  title: string;
  desc?: string;
  xLabel: string;
  yLabel: string;
  /** x positions, ascending, shown as tick labels (e.g. bin indices). */
  x: readonly number[];
  series: readonly LineSeries[];
  /** Defaults to one entry per series. */
  legend?: LegendEntry[];
  width?: number;
  height?: number;
}

/**
 * A line chart. Each series is a `<g class="series" data-points="k">` holding one `<polyline>` per
 * run of consecutive non-null values (a lone value becomes a dot), so gaps stay gaps.
 */
export function lineChart(spec: LineChartSpec): string {
  const { f, pw, ph } = chartFrame(spec.width ?? 380, spec.height ?? 250, 52);
  const xs = spec.x;
  const xMin = xs.length > 0 ? xs[0]! : 0;
  const xMax = xs.length > 0 ? xs[xs.length - 1]! : 1;
  const x = (v: number) => (xMax === xMin ? f.left + pw / 2 : f.left + ((v - xMin) / (xMax - xMin)) * pw);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of spec.series)
    for (const v of s.values)
      if (v !== null && Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
  const ticks = lo <= hi ? niceTicks(lo, hi) : niceTicks(0, 1);
  const y = (v: number) => f.top + ph - ((v - ticks.min) / (ticks.max - ticks.min)) * ph;

  let out = openSvg(spec.id, spec.title, spec.desc, f, "line");
  out += yAxis(f, ticks, y, spec.yLabel);
  out += xAxis(
    f,
    xs.map((v) => ({ x: x(v), text: formatNumber(v) })),
    spec.xLabel,
  );
  out += `<g class="plot" fill="none">`;
  for (const s of spec.series) {
    const width = s.strokeWidth ?? 2;
    const op = s.opacity !== undefined && s.opacity < 1 ? ` stroke-opacity="${c(s.opacity)}"` : "";
    const n = s.values.filter((v) => v !== null && Number.isFinite(v)).length;
    out += `<g class="series" data-series="${escapeXml(s.name)}" data-points="${n}"><title>${escapeXml(s.name)}</title>`;
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1)
        out += `<polyline points="${run.join(" ")}" stroke="${escapeXml(s.color)}" stroke-width="${c(width)}" stroke-linejoin="round" stroke-linecap="round"${op}/>`;
      else if (run.length === 1 && !s.markers) {
        const [px, py] = run[0]!.split(",");
        out += `<circle cx="${px}" cy="${py}" r="${c(Math.max(1.5, width))}" fill="${escapeXml(s.color)}"${op.replace("stroke-opacity", "fill-opacity")}/>`;
      }
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v) || i >= xs.length) flush();
      else run.push(`${c(x(xs[i]!))},${c(y(v))}`);
    });
    flush();
    if (s.markers)
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v) || i >= xs.length) return;
        out += `<circle class="marker" cx="${c(x(xs[i]!))}" cy="${c(y(v))}" r="3" fill="#fff" stroke="${escapeXml(s.color)}" stroke-width="1.5"><title>${escapeXml(`${s.name} · ${spec.xLabel} ${formatNumber(xs[i]!)}: ${formatNumber(v)}`)}</title></circle>`;
      });
    out += `</g>`;
  }
  out += `</g>`;
  out += legend(
    f,
    spec.legend ??
      spec.series.map((s) => ({
        label: s.name,
        color: s.color,
        strokeWidth: s.strokeWidth,
        opacity: s.opacity,
      })),
  );
  return `${out}</svg>`;
}

export interface BarSeries {
  name: string;
  /** One value per category. */
  values: readonly number[];
  color: string;
}

export interface BarChartSpec {
  id: string;
  title: string;
  desc?: string;
  xLabel: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly BarSeries[];
  legend?: LegendEntry[];
  width?: number;
  height?: number;
}

/** A grouped bar chart from 0 up: one `<rect class="bar">` per (category, series), with a tooltip. */
export function barChart(spec: BarChartSpec): string {
  const { f, pw, ph } = chartFrame(spec.width ?? 760, spec.height ?? 260, 56);
  let hi = 0;
  let lo = 0;
  for (const s of spec.series)
    for (const v of s.values)
      if (Number.isFinite(v)) {
        hi = Math.max(hi, v);
        lo = Math.min(lo, v);
      }
  const ticks = niceTicks(lo, hi === lo ? lo + 1 : hi);
  const y = (v: number) => f.top + ph - ((v - ticks.min) / (ticks.max - ticks.min)) * ph;
  const n = Math.max(1, spec.categories.length);
  const band = pw / n;
  const groupW = band * 0.78;
  const k = Math.max(1, spec.series.length);
  const gap = k > 1 ? Math.min(2, (groupW / k) * 0.15) : 0;
  const barW = (groupW - gap * (k - 1)) / k;
  const center = (i: number) => f.left + band * (i + 0.5);

  let out = openSvg(spec.id, spec.title, spec.desc, f, "bar");
  out += yAxis(f, ticks, y, spec.yLabel);
  out += `<g class="plot">`;
  spec.series.forEach((s, j) => {
    out += `<g class="series" data-series="${escapeXml(s.name)}" fill="${escapeXml(s.color)}">`;
    spec.categories.forEach((cat, i) => {
      const v = s.values[i] ?? 0;
      const val = Number.isFinite(v) ? v : 0;
      const x0 = center(i) - groupW / 2 + j * (barW + gap);
      const y0 = y(Math.max(0, val));
      const h = Math.abs(y(val) - y(0));
      out += `<rect class="bar" x="${c(x0)}" y="${c(y0)}" width="${c(barW)}" height="${c(h)}" rx="1"><title>${escapeXml(`${spec.xLabel} ${cat} · ${s.name}: ${formatNumber(val)}`)}</title></rect>`;
    });
    out += `</g>`;
  });
  out += `</g>`;
  out += xAxis(
    f,
    spec.categories.map((cat, i) => ({ x: center(i), text: cat })),
    spec.xLabel,
  );
  out += legend(
    f,
    spec.legend ?? spec.series.map((s) => ({ label: s.name, color: s.color, shape: "box" as const })),
  );
  return `${out}</svg>`;
}
