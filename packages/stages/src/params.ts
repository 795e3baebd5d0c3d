/**
 * The parameter table: every job parameter once — its name (the key in CompressParams and
 * in manifest.json's `params`), its `adq compress`/`adq submit` flag, its field in
 * `adq.v1.CompressionParams` (and in the stage requests that carry it), its default, its
 * rule and a one-line doc. The CLI (parsing and help), the gateway (proto ⇄ params), the
 * stage RPCs and the report read defaults, rules and messages from here; nothing else
 * writes them.
 *
 * Names differ between the three surfaces only where a public format fixes them: the
 * manifest keeps `strength`, `drop`, `lambda`, `textureL` (changing them needs a format
 * version bump), the proto keeps its field names; the table is where they meet.
 */
import { DEFAULT_STRENGTH } from "@adq/core";
import { InvalidArgumentError } from "@adq/platform";
import type { CompressParams } from "./outputs.ts";
import type { StoreCodec } from "./pq-store.ts";

type NumberKey = {
  [K in keyof CompressParams]: CompressParams[K] extends number ? K : never;
}[keyof CompressParams];
type ChoiceKey = "method" | "diversity" | "storeCodec";

interface ParamBase {
  /** `adq compress` / `adq submit` flag, absent where the CLI does not offer the parameter. */
  flag?: string;
  /** Placeholder of the flag's value in the help text. */
  arg?: string;
  /** Field in adq.v1.CompressionParams, dotted for nested messages (`diversity.tau`). */
  proto: string;
  /** One line (or a few, with \n) for the help text; the rule and default are appended. */
  doc: string;
  /** The methods that read it (absent: every method); others ignore it, and the CLI says so. */
  methods?: readonly string[];
}

export interface NumberParam<K extends NumberKey = NumberKey> extends ParamBase {
  kind: "number";
  key: K;
  default: number;
  /** The rule in words, as messages say it: `must be ${rule}, got …`. */
  rule: string;
  ok: (v: number) => boolean;
}

export interface ChoiceParam extends ParamBase {
  kind: "choice";
  key: ChoiceKey;
  default: string;
  /** Every value, with its proto enum name. */
  values: Readonly<Record<string, string>>;
  /** The proto enum's unset value (reads as the default). */
  unspecified: string;
}

export interface BooleanParam extends ParamBase {
  kind: "boolean";
  key: "skipBadFiles";
  default: boolean;
}

export type ParamSpec = NumberParam | ChoiceParam | BooleanParam;

const integer =
  (lo: number, hi = Number.POSITIVE_INFINITY) =>
  (v: number) =>
    Number.isInteger(v) && v >= lo && v <= hi;

// Typed by the store's codecs (pq-store.ts): a codec added there must get its proto name here.
const STORE_CODEC_NAMES: Record<StoreCodec, string> = {
  webp: "STORE_CODEC_WEBP",
  "webp-lossless": "STORE_CODEC_WEBP_LOSSLESS",
  raw: "STORE_CODEC_RAW",
};

/** The table, in the order the help text lists it. */
export const PARAMS = {
  ratio: {
    kind: "number",
    key: "ratio",
    flag: "--ratio",
    arg: "<ρ>",
    proto: "ratio",
    default: 0.1,
    rule: "in (0, 1]",
    ok: (v) => v > 0 && v <= 1,
    doc: "keep ratio ρ: round(ρ·N) images are kept",
  },
  bins: {
    kind: "number",
    key: "bins",
    flag: "--bins",
    arg: "<m>",
    proto: "bins",
    default: 10,
    rule: "an integer ≥ 1",
    ok: integer(1),
    doc: "GraphCut bins per class",
    methods: ["adq", "dq"],
  },
  alpha: {
    kind: "number",
    key: "alpha",
    flag: "--alpha",
    arg: "<α>",
    proto: "alpha",
    default: 0.65,
    rule: "in [0, 1]",
    ok: (v) => v >= 0 && v <= 1,
    doc: "weight of importance against bin size in the allocation",
    methods: ["adq"],
  },
  strength: {
    kind: "number",
    key: "strength",
    flag: "--strength",
    arg: "<s>",
    proto: "allocation_strength",
    // The algorithm's own default (packages/core/src/allocation.ts explains the choice).
    default: DEFAULT_STRENGTH,
    rule: "in [0, 10]",
    ok: (v) => v >= 0 && v <= 10,
    doc: "allocation strength: a bin's share grows by e^s\nper unit of importance",
    methods: ["adq"],
  },
  drop: {
    kind: "number",
    key: "drop",
    flag: "--drop",
    arg: "<θ>",
    proto: "drop_ratio",
    default: 0.25,
    rule: "in [0, 1)",
    ok: (v) => v >= 0 && v < 1,
    doc: "share of patches dropped per kept image",
  },
  seed: {
    kind: "number",
    key: "seed",
    flag: "--seed",
    arg: "<n>",
    proto: "seed",
    default: 0,
    rule: "a non-negative integer",
    ok: (v) => Number.isSafeInteger(v) && v >= 0,
    doc: "seed of every random choice",
  },
  method: {
    kind: "choice",
    key: "method",
    flag: "--method",
    proto: "method",
    // CCS on held-out difficulty is the one method that beat random sampling (CIFAR-10, 10% kept,
    // 5 seeds: +1.25 ± 0.57 SE points; ADQ −0.9, DQ −0.6; bench/quality/RESULTS.md). ADQ stays
    // one flag away, as the paper's method.
    default: "ccs",
    values: { adq: "METHOD_ADQ", dq: "METHOD_DQ", random: "METHOD_RANDOM", ccs: "METHOD_CCS" },
    unspecified: "METHOD_UNSPECIFIED",
    doc: "selection method; ccs: coverage-centric coreset selection\non held-out difficulty (EL2N of a cross-fitted head), per class",
  },
  ccsBeta: {
    kind: "number",
    key: "ccsBeta",
    flag: "--ccs-beta",
    arg: "<β>",
    proto: "ccs_beta",
    // 0.3, not the first 0.1: at 10% kept on CIFAR-10 it was +3.1 points with held-out difficulty
    // and +9.0 with in-sample (one seed each, bench/quality/FINDINGS.md) — a small budget wants
    // the easier items (Sorscher et al. 2022), and the CCS paper cuts harder at high pruning rates.
    default: 0.3,
    rule: "in [0, 1)",
    ok: (v) => v >= 0 && v < 1,
    doc: "ccs: share of the hardest items dropped first",
    methods: ["ccs"],
  },
  ccsStrata: {
    kind: "number",
    key: "ccsStrata",
    flag: "--ccs-strata",
    arg: "<k>",
    proto: "ccs_strata",
    default: 50,
    rule: "an integer in [1, 10000]",
    ok: integer(1, 10_000),
    doc: "ccs: difficulty strata per class",
    methods: ["ccs"],
  },
  lambda: {
    kind: "number",
    key: "lambda",
    flag: "--lambda",
    arg: "<λ>",
    proto: "graphcut_lambda",
    default: 1,
    rule: "> 0",
    ok: (v) => v > 0,
    doc: "GraphCut λ",
    methods: ["adq", "dq"],
  },
  textureL: {
    kind: "number",
    key: "textureL",
    proto: "texture_patch_size",
    default: 32,
    rule: "an integer ≥ 3",
    ok: integer(3),
    doc: "texture patch side L of the representativeness score",
    methods: ["adq"],
  },
  diversity: {
    kind: "choice",
    key: "diversity",
    flag: "--diversity",
    proto: "diversity.method",
    default: "infonce",
    values: { infonce: "DIVERSITY_METHOD_CONTRASTIVE", "untrained-head": "DIVERSITY_METHOD_UNTRAINED_HEAD" },
    unspecified: "DIVERSITY_METHOD_UNSPECIFIED",
    doc: "diversity score: contrastive (InfoNCE) or an untrained head",
    methods: ["adq"],
  },
  tau: {
    kind: "number",
    key: "tau",
    flag: "--tau",
    arg: "<τ>",
    proto: "diversity.tau",
    default: 0.5,
    rule: "> 0",
    ok: (v) => v > 0,
    doc: "discriminator temperature",
    methods: ["adq"],
  },
  rsWeight: {
    kind: "number",
    key: "rsWeight",
    proto: "rs_weight",
    default: 1,
    rule: "≥ 0",
    ok: (v) => v >= 0,
    doc: "weight of the normalised representativeness in the importance",
    methods: ["adq"],
  },
  dsWeight: {
    kind: "number",
    key: "dsWeight",
    proto: "ds_weight",
    default: 1,
    rule: "≥ 0",
    ok: (v) => v >= 0,
    doc: "weight of the normalised diversity in the importance",
    methods: ["adq"],
  },
  patchGrid: {
    kind: "number",
    key: "patchGrid",
    proto: "patch_grid",
    default: 8,
    rule: "an integer in [1, 64]",
    ok: integer(1, 64),
    doc: "p × p patches per image for patch dropping (proto: image_size / patch_size)",
  },
  storeCodec: {
    kind: "choice",
    key: "storeCodec",
    flag: "--store-codec",
    proto: "store_codec",
    default: "webp",
    values: STORE_CODEC_NAMES,
    unspecified: "STORE_CODEC_UNSPECIFIED",
    doc: "how the store codes kept images: lossy WebP (smaller than JPEG\nsources), or exact kept pixels",
  },
  storeQuality: {
    kind: "number",
    key: "storeQuality",
    flag: "--store-quality",
    arg: "<q>",
    proto: "store_quality",
    default: 90,
    rule: "an integer in [1, 100]",
    ok: integer(1, 100),
    doc: "WebP quality of the lossy codec",
  },
  skipBadFiles: {
    kind: "boolean",
    key: "skipBadFiles",
    flag: "--skip-bad-files",
    proto: "skip_bad_files",
    default: false,
    doc: "skip unreadable images (listed in the manifest) instead of failing",
  },
} as const satisfies {
  [K in keyof CompressParams]: ParamSpec & { key: K; default: CompressParams[K] };
};

export const PARAM_LIST: readonly ParamSpec[] = Object.values(PARAMS);

/**
 * The given parameters that `method` does not read (e.g. --alpha under the default CCS): a
 * user who set one probably meant another method, so the CLI warns rather than ignore it silently.
 */
export function unusedParams(given: Iterable<keyof CompressParams>, method: string): ParamSpec[] {
  return [...given]
    .map((k) => PARAMS[k] as ParamSpec)
    .filter((p) => p.methods && !p.methods.includes(method));
}

/** Every default, from the table. */
export const DEFAULT_PARAMS: CompressParams = Object.fromEntries(
  PARAM_LIST.map((p) => [p.key, p.default]),
) as unknown as CompressParams;

/** The values of a choice parameter, in the table's order. */
export function choices<K extends ChoiceKey>(key: K): Array<CompressParams[K]> {
  return Object.keys(PARAMS[key].values) as Array<CompressParams[K]>;
}

/** What is wrong with `value` for the number parameter `key` (undefined: nothing). */
export function numberProblem(key: NumberKey, value: unknown): string | undefined {
  const spec = PARAMS[key] as NumberParam;
  if (typeof value === "number" && Number.isFinite(value) && spec.ok(value)) return undefined;
  return `must be ${spec.rule}, got ${typeof value === "number" ? value : JSON.stringify(value)}`;
}

/**
 * What is wrong with `value` for the choice parameter `key` (undefined: nothing). With
 * `proto`, the values are the proto enum names (the gateway's messages).
 */
export function choiceProblem(key: ChoiceKey, value: unknown, proto = false): string | undefined {
  const spec = PARAMS[key] as ChoiceParam;
  const names: string[] = proto ? Object.values(spec.values) : Object.keys(spec.values);
  if (typeof value === "string" && names.includes(value)) return undefined;
  const got = proto || typeof value !== "string" ? JSON.stringify(value) : value;
  return `must be one of ${names.join(", ")}, got ${got}`;
}

/**
 * Checks one number parameter; the error names `field` (default: the parameter's name; the
 * stage RPCs pass the request's field name).
 * @throws InvalidArgumentError `${field}: must be ${rule}, got ${value}`
 */
export function checkNumber(key: NumberKey, value: unknown, field: string = key): number {
  const problem = numberProblem(key, value);
  if (problem) throw new InvalidArgumentError(field, problem);
  return value as number;
}

/** The proto field path of a parameter in a CreateJob request (`params.drop_ratio`). */
export function protoPath(key: keyof CompressParams): string {
  return `params.${PARAMS[key].proto}`;
}

/**
 * A parameter's proto field as proto-loader hands it over: camelCase segments
 * (`diversity.tau` → ["diversity", "tau"], `drop_ratio` → ["dropRatio"]).
 */
export function protoKeys(spec: ParamSpec): string[] {
  return spec.proto.split(".").map((s) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
}

/**
 * Parameters by their table names → the proto-loader shape of adq.v1.CompressionParams,
 * only those given (the server fills in the rest); choices become their enum names (an
 * unknown one passes through as it is, for the gateway to refuse with its field path).
 */
export function protoFieldsOf(p: Partial<Record<keyof CompressParams, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of PARAM_LIST) {
    const v = p[spec.key];
    if (v === undefined) continue;
    const keys = protoKeys(spec);
    let o = out;
    for (const k of keys.slice(0, -1)) {
      o[k] = o[k] ?? {};
      o = o[k] as Record<string, unknown>;
    }
    o[keys.at(-1)!] = spec.kind === "choice" ? (spec.values[v as string] ?? v) : v;
  }
  return out;
}

/** Validates every parameter; the error names the field (maps to INVALID_ARGUMENT / a CLI flag). */
export function validateParams(p: CompressParams): CompressParams {
  for (const spec of PARAM_LIST) {
    if (spec.kind === "number") checkNumber(spec.key, p[spec.key]);
    else if (spec.kind === "choice") {
      const problem = choiceProblem(spec.key, p[spec.key]);
      if (problem) throw new InvalidArgumentError(spec.key, problem);
    }
  }
  return p;
}

/** `adq compress` help lines of every parameter with a flag: doc, rule and default from the table. */
export function paramsHelp(indent = 25): string {
  const lines: string[] = [];
  for (const spec of PARAM_LIST) {
    if (!spec.flag) continue;
    const head =
      spec.kind === "choice"
        ? `  ${spec.flag} ${choices(spec.key).join("|")}`
        : spec.kind === "boolean"
          ? `  ${spec.flag}`
          : `  ${spec.flag} ${spec.arg}`;
    const rule = spec.kind === "number" ? ` ${spec.rule}` : "";
    const dflt = spec.kind === "boolean" ? "" : ` [${spec.default}]`;
    const doc = `${spec.doc}${rule ? `,${rule}` : ""}${dflt}`.split("\n");
    if (head.length + 1 > indent) lines.push(head, ...doc.map((d) => `${" ".repeat(indent)}${d}`));
    else {
      lines.push(head.padEnd(indent) + doc[0]);
      for (const d of doc.slice(1)) lines.push(" ".repeat(indent) + d);
    }
  }
  return `${lines.join("\n")}\n`;
}
