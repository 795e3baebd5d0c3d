// The defaults proto/adq/v1/common.proto documents for CompressionParams are the parameter
// table's (packages/stages/src/params.ts), which the server applies: a client reading the
// proto (grpcurl describe, generated stubs' docs) learns what the server really does.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PARAM_LIST, type ParamSpec } from "@adq/stages";
import { describe, expect, it } from "vitest";

const PROTO = readFileSync(
  fileURLToPath(new URL("../../proto/adq/v1/common.proto", import.meta.url)),
  "utf8",
);

/** The comment lines right above `field` inside `message`. */
function commentOf(message: string, field: string): string {
  const body = PROTO.slice(PROTO.indexOf(`message ${message} {`));
  const lines = body.slice(0, body.indexOf("\n}")).split("\n");
  const at = lines.findIndex((l) =>
    new RegExp(`^\\s+(optional\\s+)?\\w+(\\.\\w+)*\\s+${field}\\s*=`).test(l),
  );
  if (at < 0) throw new Error(`no field ${field} in message ${message}`);
  const out: string[] = [];
  for (let i = at - 1; i >= 0 && /^\s*\/\//.test(lines[i]!); i--)
    out.unshift(lines[i]!.replace(/^\s*\/\/\s?/, ""));
  return out.join(" ");
}

function documented(spec: ParamSpec): string {
  const [a, b] = spec.proto.split(".");
  return b ? commentOf("DiversityParams", b) : commentOf("CompressionParams", a!);
}

describe("CompressionParams comments state the server's defaults", () => {
  const specs = PARAM_LIST.filter((s) => s.key !== "ratio" && s.key !== "patchGrid");
  it.each(specs.map((s) => [s.proto, s] as const))("%s", (_, spec) => {
    const text = documented(spec);
    if (spec.kind === "number") {
      const m = /(?:Unset|Default):? (-?[0-9.]+)/.exec(text);
      expect(m, text).not.toBeNull();
      expect(Number.parseFloat(m![1]!)).toBe(spec.default);
    } else if (spec.kind === "choice") {
      const m = /UNSPECIFIED(?::| means) ([A-Z_]+)/.exec(text);
      expect(m, text).not.toBeNull();
      const name = m![1]!;
      expect(spec.values[spec.default]!.endsWith(name), text).toBe(true);
    } else {
      expect(text).toContain(`${spec.default} (default)`);
    }
  });

  it("ratio is required and the patch grid defaults to the model's input on an 8 × 8 grid", () => {
    expect(commentOf("CompressionParams", "ratio")).toContain("Required.");
    const grid = PARAM_LIST.find((s) => s.key === "patchGrid")!;
    expect(grid.default).toBe(8);
    expect(commentOf("PatchGrid", "patch_size")).toContain(`image_size / ${grid.default}`);
    expect(commentOf("PatchGrid", "image_size")).toContain("the default feature model's input side");
  });
});

describe("StageProgress.unit's comment names the units the gateway reports", () => {
  it("lists every unit of services/gateway/records.ts", async () => {
    const records = readFileSync(
      fileURLToPath(new URL("../../services/gateway/records.ts", import.meta.url)),
      "utf8",
    );
    const units = [
      ...records
        .slice(records.indexOf("const UNITS"))
        .split("};")[0]!
        .matchAll(/: "(\w+)"/g),
    ].map((m) => m[1]!);
    const svc = readFileSync(
      fileURLToPath(new URL("../../proto/adq/v1/compression_service.proto", import.meta.url)),
      "utf8",
    );
    const comment = svc.slice(svc.indexOf("// What done/total count"), svc.indexOf("string unit = 5;"));
    expect(units.length).toBeGreaterThan(5);
    for (const u of new Set(units)) expect(comment).toContain(`"${u}"`);
  });
});
