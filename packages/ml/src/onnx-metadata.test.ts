import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { readOnnxMetadata } from "./onnx-metadata.ts";

/** A ModelProto's top level: ir_version (1), graph (7, opaque here), metadata_props (14). */
function model(entries: Array<[string, string]>, graph = true): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).uint64(9);
  if (graph) w.uint32((7 << 3) | 2).bytes(new Uint8Array(300).fill(7));
  for (const [k, v] of entries) {
    const e = protobuf.Writer.create();
    e.uint32((1 << 3) | 2).string(k);
    e.uint32((2 << 3) | 2).string(v);
    w.uint32((14 << 3) | 2).bytes(e.finish());
  }
  return w.finish();
}

describe("readOnnxMetadata", () => {
  it("reads metadata_props around a skipped graph", () => {
    const bytes = model([
      ["adq.contract", "feature-model/v1"],
      ["adq.class_names", "ä,b"],
    ]);
    expect(readOnnxMetadata(bytes)).toEqual({ "adq.contract": "feature-model/v1", "adq.class_names": "ä,b" });
  });

  it("refuses a truncated model, one without a graph, and bytes that are not protobuf", () => {
    const bytes = model([["k", "v"]]);
    expect(() => readOnnxMetadata(bytes.subarray(0, bytes.length - 2))).toThrow(
      /^not an ONNX model \(truncated\)$/,
    );
    expect(() => readOnnxMetadata(model([["k", "v"]], false))).toThrow(/^not an ONNX model \(no graph\)$/);
    expect(() => readOnnxMetadata(new TextEncoder().encode("\0hello"))).toThrow(
      /not an ONNX model \(field 0\)/,
    );
    expect(() => readOnnxMetadata(new TextEncoder().encode("notes: not a model"))).toThrow();
  });
});
