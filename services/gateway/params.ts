/**
 * `adq.v1.CompressionParams` ⇄ the coordinator's CompressParams, validated at the edge
 * with the proto field paths in every message (`params.alpha: must be in [0, 1], got 1.5`).
 * Unset optional fields take DEFAULT_PARAMS — the same defaults as `adq compress`, so a job
 * with the same explicit parameters gives the same bytes in both modes.
 */

import type {
  CompressionParams,
  DiversityMethodName,
  FieldViolation,
  MethodName,
  ModelRef,
  PatchGrid,
  StoreCodecName,
} from "@adq/service-common";
import { RpcError } from "@adq/service-common";
import { type CompressParams, DEFAULT_PARAMS, validateParams } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";

/** Internal parameter name → proto field path (for InvalidArgumentError from deeper layers). */
export const FIELD_PATHS: Record<string, string> = {
  ratio: "params.ratio",
  bins: "params.bins",
  alpha: "params.alpha",
  drop: "params.drop_ratio",
  seed: "params.seed",
  method: "params.method",
  lambda: "params.graphcut_lambda",
  textureL: "params.texture_patch_size",
  diversity: "params.diversity.method",
  tau: "params.diversity.tau",
  rsWeight: "params.rs_weight",
  dsWeight: "params.ds_weight",
  strength: "params.allocation_strength",
  patchGrid: "params.patch_grid",
  skipBadFiles: "params.skip_bad_files",
  storeCodec: "params.store_codec",
  storeQuality: "params.store_quality",
  ccsBeta: "params.ccs_beta",
  ccsStrata: "params.ccs_strata",
  model: "params.model.uri",
  dataset: "dataset.uri",
};

export function fieldPath(field: string): string {
  return FIELD_PATHS[field] ?? field;
}

const METHODS: Record<string, CompressParams["method"]> = {
  METHOD_UNSPECIFIED: "adq",
  METHOD_ADQ: "adq",
  METHOD_DQ: "dq",
  METHOD_RANDOM: "random",
  METHOD_CCS: "ccs",
};
const METHOD_NAMES: Record<CompressParams["method"], MethodName> = {
  adq: "METHOD_ADQ",
  dq: "METHOD_DQ",
  random: "METHOD_RANDOM",
  ccs: "METHOD_CCS",
};
const DIVERSITY: Record<string, CompressParams["diversity"]> = {
  DIVERSITY_METHOD_UNSPECIFIED: "infonce",
  DIVERSITY_METHOD_CONTRASTIVE: "infonce",
  DIVERSITY_METHOD_UNTRAINED_HEAD: "untrained-head",
};
const STORE_CODECS: Record<string, CompressParams["storeCodec"]> = {
  STORE_CODEC_UNSPECIFIED: "webp",
  STORE_CODEC_WEBP: "webp",
  STORE_CODEC_WEBP_LOSSLESS: "webp-lossless",
  STORE_CODEC_RAW: "raw",
};
const STORE_CODEC_NAMES: Record<CompressParams["storeCodec"], StoreCodecName> = {
  webp: "STORE_CODEC_WEBP",
  "webp-lossless": "STORE_CODEC_WEBP_LOSSLESS",
  raw: "STORE_CODEC_RAW",
};
const DIVERSITY_NAMES: Record<CompressParams["diversity"], DiversityMethodName> = {
  infonce: "DIVERSITY_METHOD_CONTRASTIVE",
  "untrained-head": "DIVERSITY_METHOD_UNTRAINED_HEAD",
};

/** Collects every bad field of a request, then fails once with all of them. */
export class Violations {
  readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }

  /** @throws RpcError INVALID_ARGUMENT listing every violation (message: the first ones). */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const message = this.list.map((v) => `${v.field}: ${v.description}`).join("; ");
    throw new RpcError(grpc.status.INVALID_ARGUMENT, message, {
      reason: "ERROR_REASON_INVALID_ARGUMENT",
      fieldViolations: this.list,
    });
  }
}

function fmt(v: unknown): string {
  return typeof v === "number" ? String(v) : JSON.stringify(v);
}

export interface EdgeParams {
  params: CompressParams;
  patchGrid: PatchGrid;
}

/**
 * Validates and normalizes the request's parameters; adds a violation per bad field.
 * `imageSize` is the side (pixels) of the default model's input, used to express the
 * default patch grid in the proto's image_size / patch_size terms.
 */
export function paramsFromProto(
  p: CompressionParams | null | undefined,
  v: Violations,
  imageSize: number,
): EdgeParams {
  const out: CompressParams = { ...DEFAULT_PARAMS };
  if (!p) {
    v.add("params.ratio", "required: the keep ratio, in (0, 1]");
    return { params: out, patchGrid: { imageSize, patchSize: imageSize / DEFAULT_PARAMS.patchGrid } };
  }
  const num = (
    field: string,
    value: number | undefined,
    ok: (x: number) => boolean,
    rule: string,
    set: (x: number) => void,
  ) => {
    if (value === undefined || value === null) return;
    if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
      v.add(field, `must be ${rule}, got ${fmt(value)}`);
      return;
    }
    set(value);
  };
  if (!(typeof p.ratio === "number" && p.ratio > 0 && p.ratio <= 1))
    v.add("params.ratio", `required: must be in (0, 1], got ${fmt(p.ratio)}`);
  else out.ratio = p.ratio;
  num(
    "params.bins",
    p.bins,
    (x) => Number.isInteger(x) && x >= 1,
    "an integer ≥ 1",
    (x) => {
      out.bins = x;
    },
  );
  num(
    "params.alpha",
    p.alpha,
    (x) => x >= 0 && x <= 1,
    "in [0, 1]",
    (x) => {
      out.alpha = x;
    },
  );
  num(
    "params.drop_ratio",
    p.dropRatio,
    (x) => x >= 0 && x < 1,
    "in [0, 1)",
    (x) => {
      out.drop = x;
    },
  );
  num(
    "params.seed",
    p.seed ?? 0,
    (x) => Number.isSafeInteger(x) && x >= 0,
    "a non-negative integer",
    (x) => {
      out.seed = x;
    },
  );
  num(
    "params.graphcut_lambda",
    p.graphcutLambda,
    (x) => x > 0,
    "> 0",
    (x) => {
      out.lambda = x;
    },
  );
  num(
    "params.texture_patch_size",
    p.texturePatchSize,
    (x) => Number.isInteger(x) && x >= 3,
    "an integer ≥ 3",
    (x) => {
      out.textureL = x;
    },
  );
  num(
    "params.rs_weight",
    p.rsWeight,
    (x) => x >= 0,
    "≥ 0",
    (x) => {
      out.rsWeight = x;
    },
  );
  num(
    "params.ds_weight",
    p.dsWeight,
    (x) => x >= 0,
    "≥ 0",
    (x) => {
      out.dsWeight = x;
    },
  );
  num(
    "params.allocation_strength",
    p.allocationStrength,
    (x) => x >= 0 && x <= 10,
    "in [0, 10]",
    (x) => {
      out.strength = x;
    },
  );
  const method = METHODS[p.method ?? "METHOD_UNSPECIFIED"];
  if (!method)
    v.add(
      "params.method",
      `must be one of METHOD_ADQ, METHOD_DQ, METHOD_RANDOM, METHOD_CCS, got ${fmt(p.method)}`,
    );
  else out.method = method;
  const div = DIVERSITY[p.diversity?.method ?? "DIVERSITY_METHOD_UNSPECIFIED"];
  if (!div)
    v.add(
      "params.diversity.method",
      `must be DIVERSITY_METHOD_CONTRASTIVE or DIVERSITY_METHOD_UNTRAINED_HEAD, got ${fmt(p.diversity?.method)}`,
    );
  else out.diversity = div;
  num(
    "params.diversity.tau",
    p.diversity?.tau,
    (x) => x > 0,
    "> 0",
    (x) => {
      out.tau = x;
    },
  );
  if (out.method === "adq" && out.rsWeight === 0 && out.dsWeight === 0)
    v.add("params.ds_weight", "rs_weight and ds_weight may not both be 0 under METHOD_ADQ");
  out.skipBadFiles = p.skipBadFiles === true;
  const codec = STORE_CODECS[p.storeCodec ?? "STORE_CODEC_UNSPECIFIED"];
  if (!codec)
    v.add(
      "params.store_codec",
      `must be STORE_CODEC_WEBP, STORE_CODEC_WEBP_LOSSLESS or STORE_CODEC_RAW, got ${fmt(p.storeCodec)}`,
    );
  else out.storeCodec = codec;
  num(
    "params.store_quality",
    p.storeQuality,
    (x) => Number.isInteger(x) && x >= 1 && x <= 100,
    "an integer in [1, 100]",
    (x) => {
      out.storeQuality = x;
    },
  );
  num(
    "params.ccs_beta",
    p.ccsBeta,
    (x) => x >= 0 && x < 1,
    "in [0, 1)",
    (x) => {
      out.ccsBeta = x;
    },
  );
  num(
    "params.ccs_strata",
    p.ccsStrata,
    (x) => Number.isInteger(x) && x >= 1 && x <= 10_000,
    "an integer in [1, 10000]",
    (x) => {
      out.ccsStrata = x;
    },
  );

  // Patch grid: the coordinator cuts images into p × p patches, p = image_size / patch_size.
  const g = p.patchGrid ?? { imageSize: 0, patchSize: 0 };
  const size = g.imageSize || imageSize;
  let patch = g.patchSize;
  if (!patch) {
    if (size % DEFAULT_PARAMS.patchGrid === 0) patch = size / DEFAULT_PARAMS.patchGrid;
    else v.add("params.patch_grid.patch_size", `required when image_size (${size}) is not a multiple of 8`);
  }
  const patchGrid = { imageSize: size, patchSize: patch || size };
  if (patch) {
    if (size % patch !== 0)
      v.add("params.patch_grid.patch_size", `must divide image_size (${size}), got ${patch}`);
    else if (size / patch > 64)
      v.add("params.patch_grid.patch_size", `gives a ${size / patch}×${size / patch} grid; at most 64×64`);
    else out.patchGrid = size / patch;
  }
  return { params: out, patchGrid };
}

/** Runs the coordinator's own validation too (defence in depth); maps its field names. */
export function checkInternal(params: CompressParams, v: Violations): void {
  try {
    validateParams({ ...params });
  } catch (e) {
    const field = (e as { field?: string }).field;
    if (field === undefined) throw e;
    const msg = (e as Error).message.replace(`${field}: `, "");
    if (!v.list.some((x) => x.field === fieldPath(field))) v.add(fieldPath(field), msg);
  }
}

/** The effective parameters as Job.params: every default filled in. */
export function paramsToProto(
  p: CompressParams,
  patchGrid: PatchGrid,
  model: { uri: string; sha256: string } | null,
): CompressionParams {
  const modelRef: ModelRef = model ?? { uri: "", sha256: "" };
  return {
    ratio: p.ratio,
    bins: p.bins,
    alpha: p.alpha,
    dropRatio: p.drop,
    patchGrid,
    seed: p.seed,
    method: METHOD_NAMES[p.method],
    graphcutLambda: p.lambda,
    texturePatchSize: p.textureL,
    diversity: { method: DIVERSITY_NAMES[p.diversity], tau: p.tau },
    rsWeight: p.rsWeight,
    dsWeight: p.dsWeight,
    allocationStrength: p.strength,
    model: modelRef,
    maeModel: { uri: "", sha256: "" },
    skipBadFiles: p.skipBadFiles,
    storeCodec: STORE_CODEC_NAMES[p.storeCodec],
    storeQuality: p.storeQuality,
    ccsBeta: p.ccsBeta,
    ccsStrata: p.ccsStrata,
  };
}
