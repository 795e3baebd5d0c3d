/**
 * NumPy `.npy` (format 1.0) encode/decode for the typed arrays the stages exchange.
 * `.npy` is the field's interchange format: a user can `np.load` any intermediate.
 * Little-endian, C order only — what every stage writes.
 */

export type NpyArray = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;

export interface NpyTensor<T extends NpyArray = NpyArray> {
  data: T;
  shape: number[];
}

const DTYPES: Array<[string, new (n: number) => NpyArray, number]> = [
  ["<f4", Float32Array, 4],
  ["<f8", Float64Array, 8],
  ["<i4", Int32Array, 4],
  ["|u1", Uint8Array, 1],
  ["<i8", BigInt64Array, 8],
];

function descrOf(a: NpyArray): string {
  if (a instanceof Float32Array) return "<f4";
  if (a instanceof Float64Array) return "<f8";
  if (a instanceof Int32Array) return "<i4";
  if (a instanceof Uint8Array) return "|u1";
  return "<i8";
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function encodeNpy(t: NpyTensor): Uint8Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length)
    throw new RangeError(`npy: shape [${t.shape}] does not match ${t.data.length} values`);
  const shapeStr = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(", ")})`;
  let header = `{'descr': '${descrOf(t.data)}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Total header (magic 6 + version 2 + len 2 + text) is padded to a multiple of 64 and ends in '\n'.
  const unpadded = 10 + header.length + 1;
  header += `${" ".repeat((64 - (unpadded % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + t.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), 10 + header.length);
  return out;
}

export function decodeNpy(bytes: Uint8Array, name = "array"): NpyTensor {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new Error(`${name}: not a .npy file (bad magic)`);
  }
  const major = bytes[6]!;
  const headerLen =
    major === 1
      ? bytes[8]! | (bytes[9]! << 8)
      : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder("latin1").decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${name}: malformed .npy header`);
  if (fortran === "True") throw new Error(`${name}: Fortran-order arrays are not supported`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const entry = DTYPES.find(([d]) => d === descr || (d === "|u1" && descr === "<u1"));
  if (!entry) throw new Error(`${name}: unsupported dtype ${descr}`);
  const [, Ctor, width] = entry;
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset < count * width) throw new Error(`${name}: truncated .npy data`);
  // Copy into a fresh, aligned buffer (the payload offset need not be aligned to the element size).
  const data = new Ctor(count);
  new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + count * width));
  return { data, shape };
}
