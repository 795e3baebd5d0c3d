/**
 * Reads an ONNX model's `metadata_props` (ModelProto field 14) straight from the protobuf
 * bytes. onnxruntime-node does not expose custom metadata, and the feature-model contract
 * keeps normalisation and class names there. Only the top level of ModelProto is walked;
 * the graph (field 7) is skipped by its length, so this is O(number of top-level fields).
 */

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error("truncated varint");
    const b = buf[pos++]!;
    // Multiplication instead of << keeps values above 2^31 exact (lengths of large graphs).
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
    if (shift > 63) throw new Error("varint too long");
  }
}

function skipField(buf: Uint8Array, pos: number, wireType: number): number {
  switch (wireType) {
    case 0:
      return readVarint(buf, pos)[1];
    case 1:
      return pos + 8;
    case 2: {
      const [len, p] = readVarint(buf, pos);
      return p + len;
    }
    case 5:
      return pos + 4;
    default:
      throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
}

function parseEntry(buf: Uint8Array): [string, string] {
  const dec = new TextDecoder();
  let key = "";
  let value = "";
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    if (wt === 2 && (field === 1 || field === 2)) {
      const [len, q] = readVarint(buf, p);
      const s = dec.decode(buf.subarray(q, q + len));
      if (field === 1) key = s;
      else value = s;
      pos = q + len;
    } else pos = skipField(buf, p, wt);
  }
  return [key, value];
}

/** @throws Error when the bytes are not a parseable ONNX ModelProto. */
export function readOnnxMetadata(model: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  let sawGraph = false;
  while (pos < model.length) {
    const [tag, p] = readVarint(model, pos);
    const field = Math.floor(tag / 8);
    const wt = tag & 7;
    if (field === 0) throw new Error("not an ONNX model (field 0)");
    if (field === 14 && wt === 2) {
      const [len, q] = readVarint(model, p);
      const [k, v] = parseEntry(model.subarray(q, q + len));
      out[k] = v;
      pos = q + len;
    } else {
      if (field === 7) sawGraph = true;
      pos = skipField(model, p, wt);
    }
    if (pos > model.length) throw new Error("not an ONNX model (truncated)");
  }
  if (!sawGraph) throw new Error("not an ONNX model (no graph)");
  return out;
}
