/**
 * A fast path for small baseline JPEGs (CIFAR's 32×32 thumbnails): decodes in plain
 * TypeScript what sharp/libvips would decode, bit for bit, without libvips' per-call pipeline
 * set-up — which costs more than the whole decode of a 32×32 image (~0.8 ms vs ~0.1 ms).
 *
 * Bit-exactness is by construction: the same algorithms as libjpeg-turbo's defaults — the
 * accurate integer IDCT (jidctint.c, `JDCT_ISLOW`), "fancy" triangle-filter chroma upsampling
 * (jdsample.c, h2v1/h2v2) with edge rows and columns replicated, and the fixed-point YCbCr→RGB
 * tables of jdcolor.c — and checked against sharp on real images (jpeg-baseline.test.ts).
 *
 * Anything outside that path returns `null` and the caller uses sharp: progressive or
 * arithmetic-coded or 12-bit JPEGs, more than one scan, restart intervals, sampling other than
 * 4:4:4 / 4:2:2 / 4:2:0 / greyscale, Adobe (APP14) colour transforms, embedded ICC profiles
 * (sharp converts them to sRGB), and any inconsistency in the data (a marker or the end of the
 * file inside the scan, a bad Huffman code) — so errors and their messages stay sharp's.
 * Cost: O(pixels); memory: the coefficient-free planes of one image.
 */

/** Images larger than this many pixels go to sharp: its SIMD code wins once set-up is amortised. */
export const FAST_JPEG_MAX_PIXELS = 128 * 128;

const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
]);

// jidctint.c constants (CONST_BITS = 13).
const CONST_BITS = 13;
const PASS1_BITS = 2;
const F0_298 = 2446;
const F0_390 = 3196;
const F0_541 = 4433;
const F0_765 = 6270;
const F0_899 = 7373;
const F1_175 = 9633;
const F1_501 = 12299;
const F1_847 = 15137;
const F1_961 = 16069;
const F2_053 = 16819;
const F2_562 = 20995;
const F3_072 = 25172;

/**
 * Dequantised coefficients of 8-bit images stay within about ±1,100; beyond ±2,047 the data is
 * corrupt, and libjpeg-turbo's 16-bit SIMD arithmetic would wrap where this code does not, so
 * such images go to sharp. This bound also keeps every IDCT intermediate inside int32.
 */
const MAX_COEF = 2047;

/**
 * Post-IDCT range limit: clamp(x + 128). libjpeg's C code wraps out-of-range values through
 * its `& RANGE_MASK` table, but the SIMD code sharp runs saturates, and only corrupt data gets
 * there — sharp is the reference.
 */
function limit(x: number): number {
  const v = x + 128;
  return v < 0 ? 0 : Math.min(v, 255);
}

// jdcolor.c tables (SCALEBITS = 16).
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
{
  const FIX = (x: number) => Math.floor(x * 65536 + 0.5);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    CR_R[i] = (FIX(1.402) * x + 32768) >> 16;
    CB_B[i] = (FIX(1.772) * x + 32768) >> 16;
    CR_G[i] = -FIX(0.71414) * x;
    CB_G[i] = -FIX(0.34414) * x + 32768;
  }
}

interface Huffman {
  /** (length << 8 | symbol) for each 9-bit prefix; 0 when the code is longer than 9 bits. */
  fast: Uint16Array;
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman | null {
  const fast = new Uint16Array(512);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (len <= 9) {
        const shift = 9 - len;
        for (let j = 0; j < 1 << shift; j++) fast[(code << shift) | j] = (len << 8) | values[k]!;
      }
    }
    maxcode[len] = n ? code - 1 : -1;
    if (code > 1 << len) return null; // over-subscribed table
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { fast, maxcode, valptr, mincode, values };
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Blocks per line / column in the scan (MCU-padded). */
  bw: number;
  bh: number;
  /** Decoded samples, bw·8 × bh·8. */
  plane: Uint8Array;
  dc?: Huffman;
  ac?: Huffman;
  pred: number;
}

/**
 * Reads entropy-coded bits (byte stuffing undone). At a marker or the end of the data it feeds
 * zero bytes, as libjpeg does (with a warning); `paddingUsed()` then tells whether the scan
 * actually consumed any of them, which the fast path treats as corrupt data.
 */
class BitReader {
  private acc = 0;
  private bits = 0;
  /** Zero bits fed after the real data ended (they sit at the low end of `acc`). */
  private padding = 0;

  constructor(
    private readonly d: Uint8Array,
    private pos: number,
  ) {}

  private fill(): void {
    while (this.bits <= 24) {
      let b = 0;
      if (this.padding === 0 && this.pos < this.d.length && this.d[this.pos] !== 0xff)
        b = this.d[this.pos++]!;
      else if (this.padding === 0 && this.pos + 1 < this.d.length && this.d[this.pos + 1] === 0) {
        b = 0xff;
        this.pos += 2;
      } else this.padding += 8;
      this.acc = ((this.acc << 8) | b) >>> 0;
      this.bits += 8;
    }
  }

  peek9(): number {
    if (this.bits < 9) this.fill();
    return (this.acc >>> (this.bits - 9)) & 0x1ff;
  }

  bit(): number {
    if (this.bits < 1) this.fill();
    this.bits--;
    return (this.acc >>> this.bits) & 1;
  }

  take(n: number): number {
    if (n === 0) return 0;
    if (this.bits < n) this.fill();
    this.bits -= n;
    return (this.acc >>> this.bits) & ((1 << n) - 1);
  }

  skip(n: number): void {
    this.bits -= n;
  }

  paddingUsed(): boolean {
    return this.padding > this.bits;
  }
}

function decodeSymbol(r: BitReader, h: Huffman): number {
  const f = h.fast[r.peek9()]!;
  if (f !== 0) {
    r.skip(f >> 8);
    return f & 0xff;
  }
  let code = r.take(9);
  let len = 9;
  while (code > h.maxcode[len]!) {
    code = (code << 1) | r.bit();
    if (++len > 16) return -1;
  }
  return h.values[h.valptr[len]! + code - h.mincode[len]!]!;
}

function extend(v: number, n: number): number {
  return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
}

/** Outputs of `islow1d`, in natural order. */
const O = new Int32Array(8);

/**
 * jidctint.c's 1-D accurate integer IDCT of x0..x7 (the even part from x0, x2, x4, x6, the
 * odd part from x1, x3, x5, x7), each output rounded and shifted right by `shift` into O.
 */
function islow1d(
  x0: number,
  x1: number,
  x2: number,
  x3: number,
  x4: number,
  x5: number,
  x6: number,
  x7: number,
  shift: number,
): void {
  const z1 = (x2 + x6) * F0_541;
  const e2 = z1 - x6 * F1_847;
  const e3 = z1 + x2 * F0_765;
  const e0 = (x0 + x4) * (1 << CONST_BITS);
  const e1 = (x0 - x4) * (1 << CONST_BITS);
  const t10 = e0 + e3;
  const t13 = e0 - e3;
  const t11 = e1 + e2;
  const t12 = e1 - e2;
  const z5 = (x7 + x3 + x5 + x1) * F1_175;
  const za = (x7 + x1) * -F0_899;
  const zb = (x5 + x3) * -F2_562;
  const zc = (x7 + x3) * -F1_961 + z5;
  const zd = (x5 + x1) * -F0_390 + z5;
  const o0 = x7 * F0_298 + za + zc;
  const o1 = x5 * F2_053 + zb + zd;
  const o2 = x3 * F3_072 + zb + zc;
  const o3 = x1 * F1_501 + za + zd;
  const r = 1 << (shift - 1);
  O[0] = (t10 + o3 + r) >> shift;
  O[7] = (t10 - o3 + r) >> shift;
  O[1] = (t11 + o2 + r) >> shift;
  O[6] = (t11 - o2 + r) >> shift;
  O[2] = (t12 + o1 + r) >> shift;
  O[5] = (t12 - o1 + r) >> shift;
  O[3] = (t13 + o0 + r) >> shift;
  O[4] = (t13 - o0 + r) >> shift;
}

/**
 * Dequantised coefficients of one block (natural order) → 8×8 samples: jidctint.c's two
 * passes, columns (kept scaled up by 2^PASS1_BITS) then rows, with its shortcuts for
 * all-zero AC columns and rows (which give the same values as the full computation).
 */
function idctIslow(c: Int32Array, out: Uint8Array, offset: number, stride: number, ws: Int32Array): void {
  for (let col = 0; col < 8; col++) {
    const x1 = c[8 + col]!;
    const x2 = c[16 + col]!;
    const x3 = c[24 + col]!;
    const x4 = c[32 + col]!;
    const x5 = c[40 + col]!;
    const x6 = c[48 + col]!;
    const x7 = c[56 + col]!;
    if ((x1 | x2 | x3 | x4 | x5 | x6 | x7) === 0) {
      const dc = c[col]! * (1 << PASS1_BITS);
      for (let k = 0; k < 8; k++) ws[k * 8 + col] = dc;
      continue;
    }
    islow1d(c[col]!, x1, x2, x3, x4, x5, x6, x7, CONST_BITS - PASS1_BITS);
    for (let k = 0; k < 8; k++) ws[k * 8 + col] = O[k]!;
  }
  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    const o = offset + row * stride;
    const x1 = ws[w + 1]!;
    const x2 = ws[w + 2]!;
    const x3 = ws[w + 3]!;
    const x4 = ws[w + 4]!;
    const x5 = ws[w + 5]!;
    const x6 = ws[w + 6]!;
    const x7 = ws[w + 7]!;
    if ((x1 | x2 | x3 | x4 | x5 | x6 | x7) === 0) {
      const v = limit((ws[w]! + 16) >> (PASS1_BITS + 3));
      for (let k = 0; k < 8; k++) out[o + k] = v;
      continue;
    }
    islow1d(ws[w]!, x1, x2, x3, x4, x5, x6, x7, CONST_BITS + PASS1_BITS + 3);
    for (let k = 0; k < 8; k++) out[o + k] = limit(O[k]!);
  }
}

export interface DecodedJpeg {
  width: number;
  height: number;
  /** RGB, row-major. */
  data: Uint8Array;
}

/**
 * Decodes a small baseline JPEG exactly as sharp would, or returns null when the image is
 * outside the fast path (the caller then uses sharp, which also reports any error).
 */
export function decodeBaselineJpeg(d: Uint8Array, maxPixels = FAST_JPEG_MAX_PIXELS): DecodedJpeg | null {
  try {
    return decode(d, maxPixels);
  } catch {
    return null;
  }
}

function decode(d: Uint8Array, maxPixels: number): DecodedJpeg | null {
  if (d.length < 4 || d[0] !== 0xff || d[1] !== 0xd8) return null;
  const qt: Array<Int32Array | undefined> = [];
  const dcTables: Array<Huffman | undefined> = [];
  const acTables: Array<Huffman | undefined> = [];
  let comps: Component[] | undefined;
  let width = 0;
  let height = 0;
  let pos = 2;
  for (;;) {
    if (pos + 4 > d.length) return null;
    if (d[pos] !== 0xff) return null;
    const marker = d[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    pos += 2;
    // A second SOI, RSTn or TEM outside a scan: libjpeg's business (it errors on some).
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return null;
    const len = (d[pos]! << 8) | d[pos + 1]!;
    if (len < 2 || pos + len > d.length) return null;
    const seg = d.subarray(pos + 2, pos + len);
    pos += len;
    switch (marker) {
      case 0xdb: {
        // DQT
        let o = 0;
        while (o < seg.length) {
          const pq = seg[o]! >> 4;
          const tq = seg[o]! & 15;
          if (pq !== 0 || tq > 3 || o + 65 > seg.length) return null;
          const t = new Int32Array(64);
          for (let i = 0; i < 64; i++) t[ZIGZAG[i]!] = seg[o + 1 + i]!;
          qt[tq] = t;
          o += 65;
        }
        break;
      }
      case 0xc4: {
        // DHT
        let o = 0;
        while (o < seg.length) {
          const tc = seg[o]! >> 4;
          const th = seg[o]! & 15;
          if (tc > 1 || th > 3 || o + 17 > seg.length) return null;
          const counts = seg.subarray(o + 1, o + 17);
          let n = 0;
          for (let i = 0; i < 16; i++) n += counts[i]!;
          if (n > 256 || o + 17 + n > seg.length) return null;
          const h = buildHuffman(counts, seg.slice(o + 17, o + 17 + n));
          if (!h) return null;
          (tc === 0 ? dcTables : acTables)[th] = h;
          o += 17 + n;
        }
        break;
      }
      case 0xc0:
      case 0xc1: {
        // SOF0 / SOF1, 8-bit only
        if (comps || seg.length < 6 || seg[0] !== 8) return null;
        height = (seg[1]! << 8) | seg[2]!;
        width = (seg[3]! << 8) | seg[4]!;
        const nc = seg[5]!;
        if (width === 0 || height === 0 || width * height > maxPixels) return null;
        if ((nc !== 1 && nc !== 3) || seg.length !== 6 + 3 * nc) return null;
        comps = [];
        for (let i = 0; i < nc; i++) {
          const h = seg[6 + 3 * i + 1]! >> 4;
          const v = seg[6 + 3 * i + 1]! & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) return null;
          comps.push({
            id: seg[6 + 3 * i]!,
            h,
            v,
            tq: seg[6 + 3 * i + 2]!,
            bw: 0,
            bh: 0,
            plane: new Uint8Array(0),
            pred: 0,
          });
        }
        break;
      }
      case 0xdd: // DRI: restart intervals are rare in small images; sharp handles them
        if (seg.length !== 2 || ((seg[0]! << 8) | seg[1]!) !== 0) return null;
        break;
      case 0xee: // APP14 (Adobe): colour transforms are sharp's business
        return null;
      case 0xe2: // APP2: an ICC profile makes sharp convert colours
        if (seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 11)) === "ICC_PROFILE") return null;
        break;
      case 0xda: {
        if (!comps) return null;
        return scan(d, seg, pos, comps, qt, dcTables, acTables, width, height);
      }
      default:
        // APPn and COM carry nothing the decode depends on; any other marker (SOF2+:
        // progressive, lossless, arithmetic, hierarchical; DNL; EOI before a scan; reserved
        // ones libjpeg rejects) goes to sharp.
        if (!((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe)) return null;
    }
  }
}

function scan(
  d: Uint8Array,
  sos: Uint8Array,
  start: number,
  comps: Component[],
  qt: Array<Int32Array | undefined>,
  dcTables: Array<Huffman | undefined>,
  acTables: Array<Huffman | undefined>,
  width: number,
  height: number,
): DecodedJpeg | null {
  const ns = sos[0]!;
  if (ns !== comps.length || sos.length !== 1 + 2 * ns + 3) return null;
  // Baseline: Ss = 0, Se = 63, Ah = Al = 0.
  if (sos[1 + 2 * ns] !== 0 || sos[2 + 2 * ns] !== 63 || sos[3 + 2 * ns] !== 0) return null;
  for (let i = 0; i < ns; i++) {
    const c = comps.find((x) => x.id === sos[1 + 2 * i]);
    if (!c || c !== comps[i]) return null; // scan order must be frame order
    c.dc = dcTables[sos[2 + 2 * i]! >> 4];
    c.ac = acTables[sos[2 + 2 * i]! & 15];
    if (!c.dc || !c.ac || !qt[c.tq]) return null;
    // libjpeg rejects a DC table with a symbol over 15 when the scan starts, used or not.
    if (c.dc.values.some((x) => x > 15)) return null;
  }
  const hmax = Math.max(...comps.map((c) => c.h));
  const vmax = Math.max(...comps.map((c) => c.v));
  // libjpeg-turbo upsamples chroma planes only 1–2 samples wide with a box filter: not here.
  if (comps.length === 3 && (Math.ceil(width / hmax) < 3 || Math.ceil(height / vmax) < 3)) return null;
  // Sampling on the fast path: all 1×1, or luma 2×1 / 2×2 with 1×1 chroma; greyscale any.
  if (comps.length === 3) {
    // Component ids 'R','G','B' make libjpeg read the planes as RGB, not YCbCr.
    if (comps[0]!.id === 0x52 && comps[1]!.id === 0x47 && comps[2]!.id === 0x42) return null;
    const [y, cb, cr] = comps as [Component, Component, Component];
    if (cb.h !== 1 || cb.v !== 1 || cr.h !== 1 || cr.v !== 1) return null;
    if (!((y.h === 1 && y.v === 1) || (y.h === 2 && y.v === 1) || (y.h === 2 && y.v === 2))) return null;
  }
  const single = comps.length === 1;
  const mcux = single ? Math.ceil(width / 8) : Math.ceil(width / (8 * hmax));
  const mcuy = single ? Math.ceil(height / 8) : Math.ceil(height / (8 * vmax));
  for (const c of comps) {
    c.bw = single ? mcux : mcux * c.h;
    c.bh = single ? mcuy : mcuy * c.v;
    c.plane = new Uint8Array(c.bw * 8 * c.bh * 8);
    c.pred = 0;
  }
  const r = new BitReader(d, start);
  const coef = new Int32Array(64);
  const ws = new Int32Array(64);
  const decodeBlock = (c: Component, bx: number, by: number): boolean => {
    coef.fill(0);
    const q = qt[c.tq]!;
    const t = decodeSymbol(r, c.dc!);
    if (t < 0 || t > 11) return false;
    const diff = t === 0 ? 0 : extend(r.take(t), t);
    c.pred += diff;
    coef[0] = c.pred * q[0]!;
    if (coef[0]! > MAX_COEF || coef[0]! < -MAX_COEF) return false;
    for (let k = 1; k < 64; ) {
      const rs = decodeSymbol(r, c.ac!);
      if (rs < 0) return false;
      const s = rs & 15;
      const run = rs >> 4;
      if (s === 0) {
        if (run !== 15) break; // EOB
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) return false;
      const z = ZIGZAG[k]!;
      const v = extend(r.take(s), s) * q[z]!;
      if (v > MAX_COEF || v < -MAX_COEF) return false;
      coef[z] = v;
      k++;
    }
    const stride = c.bw * 8;
    idctIslow(coef, c.plane, by * 8 * stride + bx * 8, stride, ws);
    return true;
  };
  const total = mcux * mcuy;
  for (let m = 0; m < total; m++) {
    const mx = m % mcux;
    const my = (m - mx) / mcux;
    if (single) {
      if (!decodeBlock(comps[0]!, mx, my)) return null;
    } else {
      for (const c of comps)
        for (let v = 0; v < c.v; v++)
          for (let h = 0; h < c.h; h++) if (!decodeBlock(c, mx * c.h + h, my * c.v + v)) return null;
    }
  }
  if (r.paddingUsed()) return null; // ran into a marker mid-scan: truncated/corrupt
  return toRgb(comps, width, height, hmax, vmax);
}

function toRgb(comps: Component[], width: number, height: number, hmax: number, vmax: number): DecodedJpeg {
  const out = new Uint8Array(width * height * 3);
  const y = comps[0]!;
  const ys = y.bw * 8;
  if (comps.length === 1) {
    for (let row = 0; row < height; row++)
      for (let col = 0; col < width; col++) {
        const v = y.plane[row * ys + col]!;
        const o = (row * width + col) * 3;
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
      }
    return { width, height, data: out };
  }
  const cb = upsample(comps[1]!, width, height, hmax, vmax);
  const cr = upsample(comps[2]!, width, height, hmax, vmax);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const Y = y.plane[row * ys + col]!;
      const b = cb[row * width + col]!;
      const rr = cr[row * width + col]!;
      const o = (row * width + col) * 3;
      out[o] = clamp(Y + CR_R[rr]!);
      out[o + 1] = clamp(Y + ((CB_G[b]! + CR_G[rr]!) >> 16));
      out[o + 2] = clamp(Y + CB_B[b]!);
    }
  }
  return { width, height, data: out };
}

function clamp(x: number): number {
  return x < 0 ? 0 : Math.min(x, 255);
}

/**
 * A chroma plane at full resolution: jdsample.c's fancy (triangle) upsampling, edges
 * replicated. Planes are at least 3 samples wide and high (`scan` declines narrower ones).
 */
function upsample(c: Component, width: number, height: number, hmax: number, vmax: number): Uint8Array {
  const stride = c.bw * 8;
  const out = new Uint8Array(width * height);
  // The component's real (not MCU-padded) size, as libjpeg's downsampled_width/height.
  const cw = Math.ceil((width * c.h) / hmax);
  const ch = Math.ceil((height * c.v) / vmax);
  const fx = hmax / c.h;
  const fy = vmax / c.v;
  if (fx === 1 && fy === 1) {
    for (let row = 0; row < height; row++)
      for (let col = 0; col < width; col++) out[row * width + col] = c.plane[row * stride + col]!;
    return out;
  }
  const line = new Uint8Array(cw * 2 + 2);
  if (fy === 1) {
    // h2v1: horizontal triangle filter.
    for (let row = 0; row < height; row++) {
      const p = row * stride;
      h2v1Row(c.plane, p, cw, line);
      out.set(line.subarray(0, width), row * width);
    }
    return out;
  }
  // h2v2: per output row, 3× the nearer input row + 1× the further one, then horizontally.
  const colsum = new Int32Array(cw);
  for (let row = 0; row < height; row++) {
    const inrow = row >> 1;
    const further = row & 1 ? Math.min(inrow + 1, ch - 1) : Math.max(inrow - 1, 0);
    const p0 = inrow * stride;
    const p1 = further * stride;
    for (let i = 0; i < cw; i++) colsum[i] = c.plane[p0 + i]! * 3 + c.plane[p1 + i]!;
    const o = row * width;
    const put = (x: number, v: number) => {
      if (x < width) out[o + x] = v;
    };
    put(0, (colsum[0]! * 4 + 8) >> 4);
    put(1, (colsum[0]! * 3 + colsum[1]! + 7) >> 4);
    for (let i = 1; i < cw - 1; i++) {
      put(2 * i, (colsum[i]! * 3 + colsum[i - 1]! + 8) >> 4);
      put(2 * i + 1, (colsum[i]! * 3 + colsum[i + 1]! + 7) >> 4);
    }
    const l = cw - 1;
    put(2 * l, (colsum[l]! * 3 + colsum[l - 1]! + 8) >> 4);
    put(2 * l + 1, (colsum[l]! * 4 + 7) >> 4);
  }
  return out;
}

function h2v1Row(plane: Uint8Array, p: number, cw: number, line: Uint8Array): void {
  let v = plane[p]!;
  line[0] = v;
  line[1] = (v * 3 + plane[p + 1]! + 2) >> 2;
  for (let i = 1; i < cw - 1; i++) {
    v = plane[p + i]! * 3;
    line[2 * i] = (v + plane[p + i - 1]! + 1) >> 2;
    line[2 * i + 1] = (v + plane[p + i + 1]! + 2) >> 2;
  }
  const l = cw - 1;
  v = plane[p + l]!;
  line[2 * l] = (v * 3 + plane[p + l - 1]! + 1) >> 2;
  line[2 * l + 1] = v;
}
