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
import { METHOD_PROTO_NAMES, METHODS, type MethodSpec } from "./methods.ts";
import type { StoreCodec } from "./pq-store.ts";

interface ParamBase {
  /** The parameter's name: its key in the table, in CompressParams and in manifest.json. */
  key: string;
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
  /**
   * Must be given where a request carries it (CreateJob, the CompressionJob resource): a
   * proto3 scalar has no presence, so its unset 0 would otherwise read as a value.
   */
  required?: boolean;
  /**
   * Written to manifest.json's `params` only when set off its default: a parameter added after
   * the format whose default is "off" leaves the manifests of runs that do not use it unchanged,
   * byte for byte (their absence reads as the default).
   */
  manifestWhenSet?: boolean;
}

/** A number's bounds: the rule's words, its check and the CRD's schema all come from here. */
export interface Range {
  integer?: boolean;
  min?: number;
  max?: number;
  /** The bound itself is outside: (min, …, …, max). */
  minOpen?: boolean;
  maxOpen?: boolean;
}

export interface NumberParam extends ParamBase {
  kind: "number";
  default: number;
  range: Range;
  /** The rule in words, as messages say it: `must be ${rule}, got …` (from `range`). */
  rule: string;
  ok: (v: number) => boolean;
}

export interface ChoiceParam extends ParamBase {
  kind: "choice";
  default: string;
  /** Every value, with its proto enum name. */
  values: Readonly<Record<string, string>>;
  /** The proto enum's unset value (reads as the default). */
  unspecified: string;
}

export interface BooleanParam extends ParamBase {
  kind: "boolean";
  default: boolean;
}

/** A row of any kind (its key untyped: the table's keys come from the table). */
type ParamRow = NumberParam | ChoiceParam | BooleanParam;

/** The rule of a range in words: "in (0, 1]", "an integer in [1, 64]", "≥ 0", "a non-negative integer". */
export function ruleOf(r: Range): string {
  const lo = r.min === undefined ? undefined : `${r.minOpen ? "(" : "["}${r.min}`;
  const hi = r.max === undefined ? undefined : `${r.max}${r.maxOpen ? ")" : "]"}`;
  if (lo && hi) return `${r.integer ? "an integer " : ""}in ${lo}, ${hi}`;
  if (r.integer) return r.min === 0 && !r.minOpen ? "a non-negative integer" : `an integer ≥ ${r.min}`;
  if (lo) return `${r.minOpen ? ">" : "≥"} ${r.min}`;
  return hi ? `${r.maxOpen ? "<" : "≤"} ${r.max}` : "a number";
}

/** A number row: its rule text and check derived from its range. */
function num<const R extends Omit<NumberParam, "kind" | "rule" | "ok">>(row: R): R & NumberParam {
  const { integer, min, max, minOpen, maxOpen } = row.range;
  const ok = (v: number) =>
    (integer ? Number.isSafeInteger(v) : Number.isFinite(v)) &&
    (min === undefined || (minOpen ? v > min : v >= min)) &&
    (max === undefined || (maxOpen ? v < max : v <= max));
  return { ...row, kind: "number", rule: ruleOf(row.range), ok };
}

/** The methods whose row in the method table matches (a parameter's readers). */
function methodsWhere(reads: (m: MethodSpec) => boolean): string[] {
  return Object.entries(METHODS as Record<string, MethodSpec>)
    .filter(([, m]) => reads(m))
    .map(([name]) => name);
}

// Typed by the store's codecs (pq-store.ts): a codec added there must get its proto name here.
const STORE_CODEC_NAMES: Record<StoreCodec, string> = {
  webp: "STORE_CODEC_WEBP",
  "webp-lossless": "STORE_CODEC_WEBP_LOSSLESS",
  raw: "STORE_CODEC_RAW",
};

/** The table, in the order the help text lists it. */
export const PARAMS = {
  ratio: num({
    key: "ratio",
    flag: "--ratio",
    arg: "<ρ>",
    proto: "ratio",
    required: true,
    default: 0.1,
    range: { min: 0, minOpen: true, max: 1 },
    doc: "keep ratio ρ: round(ρ·N) images are kept",
  }),
  bins: num({
    key: "bins",
    flag: "--bins",
    arg: "<m>",
    proto: "bins",
    default: 10,
    range: { integer: true, min: 1 },
    doc: "GraphCut bins per class",
    methods: methodsWhere((m) => m.bins),
  }),
  alpha: num({
    key: "alpha",
    flag: "--alpha",
    arg: "<α>",
    proto: "alpha",
    default: 0.65,
    range: { min: 0, max: 1 },
    doc: "weight of importance against bin size in the allocation",
    methods: methodsWhere((m) => m.scores),
  }),
  strength: num({
    key: "strength",
    flag: "--strength",
    arg: "<s>",
    proto: "allocation_strength",
    // The algorithm's own default (packages/core/src/allocation.ts explains the choice).
    default: DEFAULT_STRENGTH,
    range: { min: 0, max: 10 },
    doc: "allocation strength: a bin's share grows by e^s\nper unit of importance",
    methods: methodsWhere((m) => m.scores),
  }),
  drop: num({
    key: "drop",
    flag: "--drop",
    arg: "<θ>",
    proto: "drop_ratio",
    default: 0.25,
    range: { min: 0, max: 1, maxOpen: true },
    doc: "share of patches dropped per kept image",
  }),
  seed: num({
    key: "seed",
    flag: "--seed",
    arg: "<n>",
    proto: "seed",
    default: 0,
    range: { integer: true, min: 0 },
    doc: "seed of every random choice",
  }),
  method: {
    kind: "choice",
    key: "method",
    flag: "--method",
    proto: "method",
    // CCS on held-out difficulty is the one method that beat random sampling (CIFAR-10, 10% kept,
    // 5 seeds: +1.25 ± 0.57 SE points; ADQ −0.9, DQ −0.6; bench/quality/RESULTS.md). ADQ stays
    // one flag away: `adq` its best measured variant, `adq-paper` the paper's recipe (methods.ts).
    default: "ccs",
    values: METHOD_PROTO_NAMES,
    unspecified: "METHOD_UNSPECIFIED",
    doc: "selection method; ccs: coverage-centric coreset selection\non held-out difficulty (EL2N of a cross-fitted head), per class;\nadq: ADQ's best measured variant (held-out backbone,\n--adq-beta 0.3, --adq-strata 50); adq-paper: the paper's recipe",
  },
  ccsBeta: num({
    key: "ccsBeta",
    flag: "--ccs-beta",
    arg: "<β>",
    proto: "ccs_beta",
    // 0.3, not the first 0.1: at 10% kept on CIFAR-10 it was +3.1 points with held-out difficulty
    // and +9.0 with in-sample (one seed each, bench/quality/FINDINGS.md) — a small budget wants
    // the easier items (Sorscher et al. 2022), and the CCS paper cuts harder at high pruning rates.
    default: 0.3,
    range: { min: 0, max: 1, maxOpen: true },
    doc: "ccs: share of the hardest items dropped first",
    methods: methodsWhere((m) => m.sampler === "strata"),
  }),
  ccsStrata: num({
    key: "ccsStrata",
    flag: "--ccs-strata",
    arg: "<k>",
    proto: "ccs_strata",
    default: 50,
    range: { integer: true, min: 1, max: 10_000 },
    doc: "ccs: difficulty strata per class",
    methods: methodsWhere((m) => m.sampler === "strata"),
  }),
  adqBeta: num({
    key: "adqBeta",
    flag: "--adq-beta",
    arg: "<β>",
    proto: "adq_beta",
    // 0: the paper's recipe. CCS's hard cut-off (its β, same score and tie rule) applied before
    // the bins' allocation, the lever that made CCS beat random (bench/quality/FINDINGS.md).
    default: 0,
    range: { min: 0, max: 1, maxOpen: true },
    doc: "adq, dq: share of a class's hardest items (held-out EL2N)\nremoved from its bins before the allocation (adq-paper: 0)",
    methods: methodsWhere((m) => m.bins),
    manifestWhenSet: true,
  }),
  adqStrata: num({
    key: "adqStrata",
    flag: "--adq-strata",
    arg: "<k>",
    proto: "adq_strata",
    // 0: uniform draws inside a bin, the paper's recipe.
    default: 0,
    range: { integer: true, min: 0, max: 10_000 },
    doc: "adq, dq: draw inside each bin by k held-out difficulty\nstrata, as ccs does (0: uniformly; adq-paper: 0)",
    methods: methodsWhere((m) => m.bins),
    manifestWhenSet: true,
  }),
  lambda: num({
    key: "lambda",
    flag: "--lambda",
    arg: "<λ>",
    proto: "graphcut_lambda",
    default: 1,
    range: { min: 0, minOpen: true },
    doc: "GraphCut λ",
    methods: methodsWhere((m) => m.bins),
  }),
  textureL: num({
    key: "textureL",
    proto: "texture_patch_size",
    default: 32,
    range: { integer: true, min: 3, max: 4096 },
    doc: "texture patch side L of the representativeness score",
    methods: methodsWhere((m) => m.scores),
  }),
  diversity: {
    kind: "choice",
    key: "diversity",
    flag: "--diversity",
    proto: "diversity.method",
    default: "infonce",
    values: { infonce: "DIVERSITY_METHOD_CONTRASTIVE", "untrained-head": "DIVERSITY_METHOD_UNTRAINED_HEAD" },
    unspecified: "DIVERSITY_METHOD_UNSPECIFIED",
    doc: "diversity score: contrastive (InfoNCE) or an untrained head",
    methods: methodsWhere((m) => m.scores),
  },
  tau: num({
    key: "tau",
    flag: "--tau",
    arg: "<τ>",
    proto: "diversity.tau",
    default: 0.5,
    range: { min: 0, minOpen: true },
    doc: "discriminator temperature",
    methods: methodsWhere((m) => m.scores),
  }),
  rsWeight: num({
    key: "rsWeight",
    proto: "rs_weight",
    default: 1,
    range: { min: 0 },
    doc: "weight of the normalised representativeness in the importance",
    methods: methodsWhere((m) => m.scores),
  }),
  dsWeight: num({
    key: "dsWeight",
    proto: "ds_weight",
    default: 1,
    range: { min: 0 },
    doc: "weight of the normalised diversity in the importance",
    methods: methodsWhere((m) => m.scores),
  }),
  patchGrid: num({
    key: "patchGrid",
    proto: "patch_grid",
    default: 8,
    range: { integer: true, min: 1, max: 64 },
    doc: "p × p patches per image for patch dropping (proto: image_size / patch_size)",
  }),
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
  storeQuality: num({
    key: "storeQuality",
    flag: "--store-quality",
    arg: "<q>",
    proto: "store_quality",
    default: 90,
    range: { integer: true, min: 1, max: 100 },
    doc: "WebP quality of the lossy codec",
  }),
  skipBadFiles: {
    kind: "boolean",
    key: "skipBadFiles",
    flag: "--skip-bad-files",
    proto: "skip_bad_files",
    default: false,
    doc: "skip unreadable images (listed in the manifest) instead of failing",
  },
} as const satisfies Record<string, ParamRow>;

/** A row's value type: a number, a boolean, or one of a choice's values. */
type ValueOf<S> = S extends { kind: "number" }
  ? number
  : S extends { kind: "boolean" }
    ? boolean
    : S extends { kind: "choice"; values: infer V }
      ? keyof V & string
      : never;

/** Every job parameter, by its name: derived from the table (a new row is a new field). */
export type CompressParams = { -readonly [K in keyof typeof PARAMS]: ValueOf<(typeof PARAMS)[K]> };
export type ParamKey = keyof CompressParams;
type NumberKey = { [K in ParamKey]: (typeof PARAMS)[K] extends { kind: "number" } ? K : never }[ParamKey];
type ChoiceKey = { [K in ParamKey]: (typeof PARAMS)[K] extends { kind: "choice" } ? K : never }[ParamKey];
/** The parameters a user sets (a CLI flag; the CompressionJob resource offers the same). */
export type FlagKey = { [K in ParamKey]: (typeof PARAMS)[K] extends { flag: string } ? K : never }[ParamKey];
type BooleanKey = { [K in ParamKey]: (typeof PARAMS)[K] extends { kind: "boolean" } ? K : never }[ParamKey];

/** A row with its key typed by its kind. */
export type ParamSpec =
  | (NumberParam & { key: NumberKey })
  | (ChoiceParam & { key: ChoiceKey })
  | (BooleanParam & { key: BooleanKey });

// Each row's `key` is its name in the table (checked here, at compile time).
const KEYS_MATCH: { [K in ParamKey]: { key: K } } = PARAMS;
void KEYS_MATCH;

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

/** manifest.json's `params`: every parameter, less those at their default that are written only when set. */
type WhenSetKey = {
  [K in ParamKey]: (typeof PARAMS)[K] extends { manifestWhenSet: true } ? K : never;
}[ParamKey];
export type ManifestParams = Omit<CompressParams, WhenSetKey> & Partial<Pick<CompressParams, WhenSetKey>>;

export function manifestParams(p: CompressParams): ManifestParams {
  const out: Partial<CompressParams> = { ...p };
  for (const spec of PARAM_LIST)
    if (spec.manifestWhenSet && p[spec.key] === spec.default) delete out[spec.key];
  return out as ManifestParams;
}

/**
 * A job's parameters as recorded by an older version (a job record resumed after an upgrade):
 * the parameters added since with an "off" default (`manifestWhenSet`) are absent there, and
 * absence can only have meant off.
 */
export function withAddedParams(p: CompressParams): CompressParams {
  const out: Record<string, unknown> = { ...p };
  for (const spec of PARAM_LIST)
    if (spec.manifestWhenSet && out[spec.key] === undefined) out[spec.key] = spec.default;
  return out as CompressParams;
}

/** Every default, from the table. */
export const DEFAULT_PARAMS: CompressParams = Object.fromEntries(
  PARAM_LIST.map((p) => [p.key, p.default]),
) as unknown as CompressParams;

/** The method row's own defaults (methods.ts `defaults`), read at each call: a row edited is every surface's. */
function rowDefaults(method: unknown): Partial<CompressParams> {
  const spec = (METHODS as Record<string, MethodSpec>)[String(method)];
  return (spec?.defaults ?? {}) as Partial<CompressParams>;
}

/**
 * The parameters a surface read, with every unset one at its default: the method row's where
 * it has one (methods.ts `defaults`), else the table's. Every surface fills parameters here
 * (`adq compress`, the gateway for `adq submit`, the controller and the cluster), so a method's
 * defaults give the same bytes on all of them.
 */
export function withDefaults(given: Partial<Record<ParamKey, unknown>>): CompressParams {
  const method = given.method ?? DEFAULT_PARAMS.method;
  const out: Record<string, unknown> = { ...DEFAULT_PARAMS, ...rowDefaults(method) };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) out[k] = v;
  return out as CompressParams;
}

/** A parameter's default in words: the table's, and each method's own where it differs ("0; adq: 0.3"). */
export function defaultText(spec: ParamSpec): string {
  const own = Object.keys(METHODS)
    .map((m) => [m, (rowDefaults(m) as Record<string, unknown>)[spec.key]] as const)
    .filter(([, v]) => v !== undefined && v !== spec.default)
    .map(([m, v]) => `${m}: ${String(v)}`);
  return [String(spec.default), ...own].join("; ");
}

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

/**
 * Rules across parameters, once: each names the field it reports and says what is wrong, with
 * the parameters spelled as the caller's surface spells them (`name`: the table's names for
 * the CLI and the coordinator, the proto's fields for the gateway).
 */
export interface CrossRule {
  field: ParamKey;
  problem(p: CompressParams, name: (k: ParamKey) => string): string | undefined;
}

/**
 * A rule per number parameter, for the method rows that pin it (methods.ts `fixed`, e.g.
 * adq-paper's adqBeta 0): another value is refused naming the parameter and its flag.
 */
const FIXED_RULES: CrossRule[] = PARAM_LIST.filter((spec) => spec.kind === "number").map((spec) => ({
  field: spec.key,
  problem: (p) => {
    const rows = METHODS as Record<string, MethodSpec>;
    const pinned = (rows[p.method]?.fixed as Record<string, number> | undefined)?.[spec.key];
    if (pinned === undefined || p[spec.key] === pinned) return undefined;
    const others = (spec.methods ?? Object.keys(rows)).filter(
      (m) => (rows[m]?.fixed as Record<string, number> | undefined)?.[spec.key] === undefined,
    );
    return `must be ${pinned} under method ${p.method}, ${rows[p.method]!.label}: ${spec.flag ?? spec.key} is for ${others.join(", ")}; got ${p[spec.key]}`;
  },
}));

export const CROSS_RULES: readonly CrossRule[] = [
  ...FIXED_RULES,
  {
    // Importance is their weighted sum: with both weights 0 every bin would tie.
    field: "dsWeight",
    problem: (p, name) =>
      METHODS[p.method]?.scores && p.rsWeight === 0 && p.dsWeight === 0
        ? `${name("rsWeight")} and ${name("dsWeight")} may not both be 0 under ${METHODS[p.method].label}: importance is their weighted sum`
        : undefined,
  },
];

/** The cross-parameter problems of `p` (CROSS_RULES), as [field, problem] pairs. */
export function crossProblems(
  p: CompressParams,
  name: (k: ParamKey) => string = (k) => k,
): Array<[ParamKey, string]> {
  const out: Array<[ParamKey, string]> = [];
  for (const rule of CROSS_RULES) {
    const problem = rule.problem(p, name);
    if (problem) out.push([rule.field, problem]);
  }
  return out;
}

/**
 * The patch grid of an (image_size, patch_size) pair, the proto's terms for `patchGrid`
 * (p × p patches, p = image_size / patch_size): patch_size 0 (unset) is the table's default
 * grid where it divides image_size. The gateway and the DropPatches stage RPC both read it.
 */
export function patchGridOf(
  imageSize: number,
  patchSize: number,
): { grid: number; patchSize: number } | { problem: string } {
  const dflt = PARAMS.patchGrid.default;
  if (!patchSize) {
    if (imageSize % dflt !== 0)
      return { problem: `required when image_size (${imageSize}) is not a multiple of ${dflt}` };
    patchSize = imageSize / dflt;
  }
  if (!(Number.isSafeInteger(patchSize) && patchSize > 0 && imageSize % patchSize === 0))
    return { problem: `must divide image_size (${imageSize}), got ${patchSize}` };
  const grid = imageSize / patchSize;
  if (!PARAMS.patchGrid.ok(grid))
    return { problem: `gives a ${grid}×${grid} grid; must be ${PARAMS.patchGrid.rule}` };
  return { grid, patchSize };
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
  const [cross] = crossProblems(p);
  if (cross) throw new InvalidArgumentError(cross[0], cross[1]);
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
    const dflt = spec.kind === "boolean" ? "" : ` [${defaultText(spec)}]`;
    const doc = `${spec.doc}${rule ? `,${rule}` : ""}${dflt}`.split("\n");
    if (head.length + 1 > indent) lines.push(head, ...doc.map((d) => `${" ".repeat(indent)}${d}`));
    else {
      lines.push(head.padEnd(indent) + doc[0]);
      for (const d of doc.slice(1)) lines.push(" ".repeat(indent) + d);
    }
  }
  return `${lines.join("\n")}\n`;
}
