/**
 * `adq.v1.CompressionParams` ⇄ the coordinator's CompressParams, validated at the edge
 * with the proto field paths in every message (`params.alpha: must be in [0, 1], got 1.5`).
 * Unset optional fields take their defaults by params.ts withDefaults (the method row's, else
 * the table's) — the same as `adq compress`, so a job with the same explicit parameters gives
 * the same bytes in both modes.
 */

import { RpcError } from "@adq/service-common";
import type {
  CompressionParams,
  CompressionParams__Output,
  FieldViolation,
  PatchGrid__Output as PatchGrid,
} from "@adq/service-common/proto";
import {
  type CompressParams,
  choiceProblem,
  crossProblems,
  DEFAULT_PARAMS,
  numberProblem,
  PARAM_LIST,
  PARAMS,
  type ParamSpec,
  patchGridOf,
  protoFieldsOf,
  protoKeys,
  protoPath,
  withDefaults,
} from "@adq/stages";
import * as grpc from "@grpc/grpc-js";

/** Fields that are not job parameters but that deeper layers name in InvalidArgumentError. */
const OTHER_PATHS: Record<string, string> = { model: "params.model.uri" };

/** Internal parameter name → proto field path (for InvalidArgumentError from deeper layers). */
export function fieldPath(field: string): string {
  if (field in PARAMS) return protoPath(field as keyof CompressParams);
  return OTHER_PATHS[field] ?? field;
}

/** A parameter's value in a proto-loader CompressionParams (undefined: unset). */
function protoField(msg: object, spec: ParamSpec): unknown {
  let v: unknown = msg;
  for (const k of protoKeys(spec))
    v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

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
  p: CompressionParams__Output | null | undefined,
  v: Violations,
  imageSize: number,
): EdgeParams {
  const grid = PARAMS.patchGrid.default;
  if (!p) {
    v.add(protoPath("ratio"), `required: the keep ratio, ${PARAMS.ratio.rule}`);
    return { params: { ...DEFAULT_PARAMS }, patchGrid: { imageSize, patchSize: imageSize / grid } };
  }
  // The fields given; unset ones take the method row's default, else the table's (withDefaults).
  const set: Partial<Record<keyof CompressParams, unknown>> = {};
  for (const spec of PARAM_LIST) {
    if (spec.key === "patchGrid") continue; // image_size / patch_size: below
    const value = protoField(p, spec);
    if (spec.kind === "boolean") set[spec.key] = value === true;
    else if (spec.kind === "choice") {
      if (value === undefined || value === null || value === spec.unspecified) continue;
      const name = Object.entries(spec.values).find(([, n]) => n === value)?.[0];
      if (name === undefined) v.add(protoPath(spec.key), choiceProblem(spec.key, value, true)!);
      else set[spec.key] = name;
    } else if (spec.required) {
      // A proto3 number has no presence: 0 (unset) is refused, not defaulted.
      if (value === undefined || value === null || value === 0)
        v.add(protoPath(spec.key), `required: must be ${spec.rule}`);
      else {
        const problem = numberProblem(spec.key, value);
        if (problem) v.add(protoPath(spec.key), problem);
        else set[spec.key] = value;
      }
    } else if (value !== undefined && value !== null) {
      const problem = numberProblem(spec.key, value);
      if (problem) v.add(protoPath(spec.key), problem);
      else set[spec.key] = value;
    }
  }
  const out = withDefaults(set);
  for (const [field, problem] of crossProblems(out, (k) => PARAMS[k].proto)) v.add(protoPath(field), problem);

  // Patch grid: the coordinator cuts images into p × p patches, p = image_size / patch_size.
  const g = p.patchGrid ?? { imageSize: 0, patchSize: 0 };
  const size = g.imageSize || imageSize;
  const pg = patchGridOf(size, g.patchSize ?? 0);
  if ("problem" in pg) {
    v.add("params.patch_grid.patch_size", pg.problem);
    return { params: out, patchGrid: { imageSize: size, patchSize: g.patchSize || size } };
  }
  out.patchGrid = pg.grid;
  return { params: out, patchGrid: { imageSize: size, patchSize: pg.patchSize } };
}

/**
 * The effective parameters as Job.params: every default filled in, each field where the table
 * puts it (`protoFieldsOf`); the patch grid in the proto's image_size / patch_size terms.
 */
export function paramsToProto(
  p: CompressParams,
  patchGrid: PatchGrid,
  model: { uri: string; sha256: string } | null,
): CompressionParams {
  const { patchGrid: _grid, ...rest } = p;
  return {
    ...(protoFieldsOf(rest) as unknown as CompressionParams),
    patchGrid,
    model: model ?? { uri: "", sha256: "" },
    maeModel: { uri: "", sha256: "" },
  };
}
