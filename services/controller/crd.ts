/**
 * The CompressionJob CRD's `spec.params` schema, generated from the parameter table
 * (packages/stages/src/params.ts): every parameter a user sets (those with a CLI flag), its
 * type, bounds, values and doc. `npm run generate` writes it into
 * charts/adq/files/crds/compressionjobs.adq.dev.yaml between its markers; a test fails when the file
 * and the table differ. A new parameter with a flag is a new property here, with no edit.
 */
import { defaultText, PARAM_LIST, type ParamSpec } from "@adq/stages";

/** Lines that open and close the generated block in the CRD file. */
export const CRD_BEGIN = "# BEGIN generated from packages/stages/src/params.ts (npm run generate)";
export const CRD_END = "# END generated";

/** The OpenAPI v3 schema of one parameter. */
function schemaOf(spec: ParamSpec): Record<string, unknown> {
  const description = `${spec.doc.replace(/\n/g, " ")}${spec.kind === "number" ? `; ${spec.rule}` : ""}; default ${defaultText(spec)}.`;
  if (spec.kind === "boolean") return { type: "boolean", description };
  if (spec.kind === "choice") return { type: "string", enum: Object.keys(spec.values), description };
  const r = spec.range;
  return {
    type: r.integer ? "integer" : "number",
    ...(r.min !== undefined ? { minimum: r.min, ...(r.minOpen ? { exclusiveMinimum: true } : {}) } : {}),
    ...(r.max !== undefined ? { maximum: r.max, ...(r.maxOpen ? { exclusiveMaximum: true } : {}) } : {}),
    description,
  };
}

/** The `params` schema: an object of every flagged parameter, the required ones listed. */
export function paramsSchema(): Record<string, unknown> {
  const offered = PARAM_LIST.filter((p) => p.flag);
  return {
    type: "object",
    required: offered.filter((p) => p.required).map((p) => p.key),
    properties: Object.fromEntries(offered.map((p) => [p.key, schemaOf(p)])),
  };
}

/** A scalar as YAML: a plain word as it is, other strings as JSON strings (valid, unambiguous YAML). */
function scalar(v: unknown): string {
  const s = String(v);
  return typeof v !== "string" || (/^[a-z][a-zA-Z0-9-]*$/.test(s) && !["true", "false", "null"].includes(s))
    ? s
    : JSON.stringify(s);
}

/** A mapping as YAML lines (flow style for lists). */
function yamlLines(value: Record<string, unknown>, indent: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (Array.isArray(v)) out.push(`${indent}${k}: [${v.map(scalar).join(", ")}]`);
    else if (v !== null && typeof v === "object") {
      out.push(`${indent}${k}:`);
      out.push(...yamlLines(v as Record<string, unknown>, `${indent}  `));
    } else out.push(`${indent}${k}: ${scalar(v)}`);
  }
  return out;
}

/**
 * The CRD file's text with its generated block replaced by the table's schema, indented as
 * the line holding the BEGIN marker. Throws when the markers are missing.
 */
export function withGeneratedParams(crd: string): string {
  const lines = crd.split("\n");
  const begin = lines.findIndex((l) => l.trim() === CRD_BEGIN);
  const end = lines.findIndex((l, i) => i > begin && l.trim() === CRD_END);
  if (begin < 0 || end < 0) throw new Error(`the CRD has no "${CRD_BEGIN}" … "${CRD_END}" block`);
  const indent = lines[begin]!.slice(0, lines[begin]!.indexOf("#"));
  return [...lines.slice(0, begin + 1), ...yamlLines(paramsSchema(), indent), ...lines.slice(end)].join("\n");
}
