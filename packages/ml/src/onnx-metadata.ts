/**
 * Reads an ONNX model's `metadata_props` (ModelProto field 14) straight from the protobuf
 * bytes. onnxruntime-node does not expose custom metadata, and the feature-model contract
 * keeps normalisation and class names there. Only the top level of ModelProto is walked, with
 * protobufjs's wire-format reader (no schema needed); the graph (field 7) is skipped by its
 * length, so this is O(number of top-level fields).
 */
import protobuf from "protobufjs";

/** A StringStringEntryProto (key = 1, value = 2) ending at `end`. */
function parseEntry(r: protobuf.Reader, end: number): [string, string] {
  let key = "";
  let value = "";
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) === 2 && field === 1) key = r.string();
    else if ((tag & 7) === 2 && field === 2) value = r.string();
    else r.skipType(tag & 7);
  }
  return [key, value];
}

/** @throws Error when the bytes are not a parseable ONNX ModelProto. */
export function readOnnxMetadata(model: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const r = protobuf.Reader.create(model);
  let sawGraph = false;
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 0) throw new Error("not an ONNX model (field 0)");
      if (field === 14 && wt === 2) {
        const end = r.uint32() + r.pos;
        if (end > r.len) throw new RangeError("entry past the end");
        const [k, v] = parseEntry(r, end);
        out[k] = v;
      } else {
        if (field === 7) sawGraph = true;
        r.skipType(wt);
      }
      if (r.pos > r.len) throw new RangeError("field past the end");
    }
  } catch (e) {
    // protobufjs reports reads past the end as RangeError ("index out of range").
    if (e instanceof RangeError) throw new Error("not an ONNX model (truncated)");
    throw e;
  }
  if (!sawGraph) throw new Error("not an ONNX model (no graph)");
  return out;
}
