import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { BinRecord, BinsFile, CompressParams, Manifest, Method } from "../outputs.ts";
import { DEFAULT_PARAMS } from "../params.ts";
import { renderReport } from "./render.ts";
import { escapeXml, formatBytes, formatInt, formatNumber, niceTicks } from "./svg.ts";
import { encodeThumbnailPng } from "./thumbnails.ts";

const EVIL = "<script>alert(1)</script>";
const CLASSES = ["airplane", EVIL, "cat & dog"];
const SIZES = [
  [40, 30, 20, 10],
  [36, 28, 22, 14],
  [50, 25, 15, 10],
];

/** The table's defaults (a parameter added to the table needs no edit here), with this report's values. */
function params(method: Method): CompressParams {
  return {
    ...DEFAULT_PARAMS,
    ratio: 0.25,
    bins: 4,
    alpha: method === "adq" ? 0.65 : 0,
    drop: 0.25,
    seed: 7,
    method,
    lambda: 1,
    textureL: 4,
    diversity: "infonce",
    tau: 0.1,
    rsWeight: 1,
    dsWeight: 1,
    strength: 0.2,
    patchGrid: 8,
    skipBadFiles: false,
    storeCodec: "webp",
    storeQuality: 90,
    ccsBeta: 0.1,
    ccsStrata: 50,
  };
}

function binsFile(method: Method): BinsFile {
  const bins: BinRecord[] = [];
  const scored = method === "adq";
  SIZES.forEach((sizes, c) => {
    const budget = [25, 25, 25][c]!;
    const total = sizes.reduce((a, b) => a + b, 0);
    let left = budget;
    sizes.forEach((size, b) => {
      const rsZ = [-1.2, 0.4, 1.1, -0.3][b]! + c * 0.1;
      const dsZ = [1.3, 0.2, -0.6, -0.9][b]! - c * 0.05;
      const allocated =
        b === sizes.length - 1 ? left : Math.round((budget * size) / total) + (scored ? b - 1 : 0);
      left -= allocated;
      bins.push({
        class: c,
        className: CLASSES[c]!,
        bin: b,
        size,
        rs: scored ? 0.2 + 0.01 * b : null,
        ds: scored ? 0.5 - 0.02 * b : null,
        rsZ: scored ? rsZ : null,
        dsZ: scored ? dsZ : null,
        importance: scored ? rsZ + dsZ : null,
        allocated,
      });
    });
  });
  return { version: 1, method, params: params(method), classes: CLASSES, bins };
}

function manifest(method: Method): Manifest {
  return {
    version: 1,
    tool: { name: "adq", version: "0.1.0" },
    method,
    params: params(method),
    dataset: {
      path: `/data/<b>cifar</b>`,
      format: "imagefolder",
      size: 300,
      classes: CLASSES,
      fingerprint: "f00d",
    },
    model: { file: "models/r20.onnx", sha256: "ab".repeat(32) },
    total: 300,
    selected: 75,
    perClass: [25, 25, 25],
    items: [{ id: `${EVIL}/0001.png`, index: 0, label: 1, bin: 0 }],
    skipped: [{ id: `bad/"quoted".png`, reason: "truncated <EOF>" }],
    store: {
      file: "store.adqpq",
      bytes: 150_000,
      subsetRawBytes: 230_400,
      subsetSourceBytes: 180_000,
      patchGrid: 8,
      drop: 0.25,
    },
  };
}

async function thumbs() {
  const data = new Uint8Array(32 * 32 * 3).map((_, i) => (i * 7) % 256);
  const png = await encodeThumbnailPng({ width: 32, height: 32, channels: 3, data });
  return [
    { id: "airplane/0001.png", label: 0, png },
    { id: `${EVIL}/0002.png`, label: 1, png },
  ];
}

/** The markup of the <svg> with the given id. */
function svgById(html: string, id: string): string {
  const start = html.indexOf(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${id}"`);
  expect(start, `svg #${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf("</svg>", start) + 6);
}

function count(s: string, needle: string): number {
  return s.split(needle).length - 1;
}

describe("renderReport", () => {
  it("renders Fig. 2, the allocation chart, the tables and the thumbnails", async () => {
    const t = await thumbs();
    const html = renderReport({
      bins: binsFile("adq"),
      manifest: manifest("adq"),
      thumbnails: t,
      timings: { features: 1200, binning: 350, "<scoring>": 80_000 },
    });
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(count(html, "<svg ")).toBe(4);
    for (const key of ["rs", "ds", "is"]) {
      const svg = svgById(html, `fig2-${key}`);
      expect(svg).toContain("<title");
      expect(svg).toContain("Bin index");
      // 3 faint class lines + 1 mean line, each with 4 points.
      expect(count(svg, "<polyline ")).toBe(4);
      for (const m of svg.matchAll(/<polyline points="([^"]*)"/g)) expect(m[1]!.split(" ")).toHaveLength(4);
      expect(count(svg, 'data-points="4"')).toBe(4);
      expect(count(svg, 'class="marker"')).toBe(4);
    }
    const alloc = svgById(html, "allocation-chart");
    expect(count(alloc, 'class="bar"')).toBe(8); // 4 bins × (allocated, uniform share)
    // Uniform share of bin 0: (40 + 36 + 50)·0.25 = 31.5.
    expect(alloc).toContain("Bin index 0 · Uniform share (size·ρ, ρ = 0.25): 31.5");

    // Escaping: the class name appears only escaped, never as a raw tag.
    expect(html).not.toContain(EVIL);
    expect(html).not.toContain("<b>cifar</b>");
    expect(html).toContain(escapeXml(EVIL));
    expect(html).toContain("cat &amp; dog");
    expect(html).toContain("&lt;b&gt;cifar&lt;/b&gt;");
    expect(html).toContain("bad/&quot;quoted&quot;.png");
    expect(html).toContain("&lt;scoring&gt;");
    expect(html).not.toMatch(/<script/i);

    // Thumbnails as data URIs, upscaled pixelated.
    const b64 = Buffer.from(t[0]!.png).toString("base64");
    expect(count(html, `src="data:image/png;base64,${b64}"`)).toBe(2);
    expect(html).toContain("image-rendering:pixelated");
    expect(html).toContain('width="32" height="32"');

    // Summary numbers.
    expect(html).toContain(">100</td>"); // class 0 size
    expect(html).toContain(">25</td>");
    expect(html).toContain(">25%</td>");
    expect(html).toContain(">300</td>");
    expect(html).toContain(">75</td>");
    // Storage: 150,000 B store vs 230,400 B raw.
    expect(html).toContain("150,000");
    expect(html).toContain("230,400");
    expect(html).toContain("65.1%");
    expect(html).toContain("1.54×");
    // Timings.
    expect(html).toContain("1.2 s");
    expect(html).toContain("1 min 20 s");
    // Header.
    expect(html).toContain("abababababab");
    expect(html).toContain("0.65");

    // No external resources, no NaN.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("is deterministic", async () => {
    const input = { bins: binsFile("adq"), manifest: manifest("adq"), thumbnails: await thumbs() };
    expect(renderReport(input)).toBe(renderReport(input));
    const again = { bins: binsFile("adq"), manifest: manifest("adq"), thumbnails: await thumbs() };
    expect(renderReport(again)).toBe(renderReport(input));
  });

  it.each(["dq", "random"] as const)("renders %s (no scores) with notes and no NaN", async (method) => {
    const bins = binsFile(method);
    if (method === "random") bins.bins = [];
    const html = renderReport({
      bins,
      manifest: { ...manifest(method), store: null },
      thumbnails: await thumbs(),
    });
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    // Only what the method produced: no Fig. 2 (no bin scores), no placeholder notes.
    expect(html).not.toContain('id="fig2');
    expect(html).not.toContain("does not score bins");
    expect(html).not.toContain("has no bins");
    expect(html).toContain("No pixel-quantized store");
    expect(html).toContain(`<title>${method === "dq" ? "DQ" : "Random"} report`);
    expect(html).not.toContain("Weight α");
    if (method === "dq") {
      expect(html).toContain("Bins per class m");
      expect(count(svgById(html, "allocation-chart"), 'class="bar"')).toBe(8);
    } else {
      expect(html).not.toContain('id="allocation"');
      expect(html).not.toContain("Bins per class m");
      expect(html).not.toContain("<svg");
    }
  });

  it("renders CCS: β and strata in the header, the strata histogram and per-class table, no ADQ sections", async () => {
    const m = manifest("ccs");
    m.ccs = {
      score: "el2n-held-out",
      beta: 0.3,
      strata: 4,
      classes: [
        { pruned: 3, strataSizes: [2, 3, 0, 2], strataCounts: [1, 2, 0, 1] },
        { pruned: 2, strataSizes: [1, 1, 4, 1], strataCounts: [1, 1, 1, 1] },
        { pruned: 0, strataSizes: [0, 0, 0, 0], strataCounts: [0, 0, 0, 0] },
      ],
    };
    const bins = binsFile("ccs");
    bins.bins = [];
    const html = renderReport({ bins, manifest: m, thumbnails: await thumbs() });
    expect(html).toContain("<title>CCS report");
    expect(html).toContain("Hard cut-off β");
    expect(html).not.toMatch(/Bins per class m|Weight α|Strength s/);
    expect(html).not.toMatch(/id="fig2|id="allocation"|has no bins/);
    const svg = svgById(html, "ccs-strata-chart");
    expect(count(svg, 'class="bar"')).toBe(8); // 4 strata × (in stratum, kept)
    expect(html).toContain("Coverage-centric Coreset Selection");
    expect(html).not.toContain("Adaptive Dataset Quantization”");
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("shows every class in a capped thumbnail grid", async () => {
    const [a] = await thumbs();
    const many = Array.from({ length: 12 }, (_, i) => ({
      ...a!,
      id: `x/${i}.png`,
      label: i < 9 ? 0 : i - 8,
    }));
    const html = renderReport({
      bins: binsFile("adq"),
      manifest: manifest("adq"),
      thumbnails: many,
      maxThumbnails: 4,
    });
    const captions = [...html.matchAll(/<figcaption>([^<]*)<\/figcaption><\/figure>/g)].map((x) => x[1]);
    expect(captions).toHaveLength(4);
    expect(new Set(captions).size).toBe(4); // 9 of class 0, one each of 1–3: all four shown
  });

  it("caps the thumbnail grid and says so", async () => {
    const [a] = await thumbs();
    const many = Array.from({ length: 10 }, (_, i) => ({ ...a!, id: `x/${i}.png` }));
    const html = renderReport({
      bins: binsFile("adq"),
      manifest: manifest("adq"),
      thumbnails: many,
      maxThumbnails: 4,
    });
    expect(count(html, '<figure class="thumb">')).toBe(4);
    expect(html).toContain("Showing 4 of 75 selected images (the grid is capped at 4)");
  });

  it("plots partially missing scores with gaps", () => {
    const bins = binsFile("adq");
    bins.bins[1]!.rsZ = null;
    const html = renderReport({ bins, manifest: manifest("adq"), thumbnails: [] });
    const svg = svgById(html, "fig2-rs");
    expect(svg).toContain('data-points="3"');
    expect(svg).not.toMatch(/NaN/);
  });
});

describe("svg helpers", () => {
  it("formats numbers compactly and locale-free", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(-0)).toBe("0");
    expect(formatNumber(1.23456)).toBe("1.23");
    expect(formatNumber(-0.5)).toBe("-0.5");
    expect(formatNumber(12_345)).toBe("12.3k");
    expect(formatNumber(2_500_000)).toBe("2.5M");
    expect(formatNumber(0.000123)).toBe("1.2e-4");
    expect(formatNumber(Number.NaN)).toBe("–");
    expect(formatInt(50_000)).toBe("50,000");
    expect(formatInt(-1234)).toBe("-1,234");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });

  it("makes nice ticks", () => {
    expect(niceTicks(0, 31.5).values).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(-1.3, 1.2).values).toEqual([-2, -1, 0, 1, 2]);
    expect(niceTicks(0, 0).values).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(0.1, 0.3).values.every((v) => String(v).length < 6)).toBe(true);
  });
});

describe("encodeThumbnailPng", () => {
  it("encodes raw RGB as a PNG that decodes to the same pixels", async () => {
    const data = new Uint8Array(5 * 3 * 3).map((_, i) => (i * 31) % 256);
    const png = await encodeThumbnailPng({ width: 5, height: 3, channels: 3, data });
    expect([...png.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const back = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(back.info).toMatchObject({ width: 5, height: 3, channels: 3 });
    expect(new Uint8Array(back.data)).toEqual(data);
    expect(await encodeThumbnailPng({ width: 5, height: 3, channels: 3, data })).toEqual(png);
  });

  it("rejects a size mismatch", async () => {
    await expect(
      encodeThumbnailPng({ width: 4, height: 4, channels: 3, data: new Uint8Array(10) }),
    ).rejects.toThrow(RangeError);
  });
});
