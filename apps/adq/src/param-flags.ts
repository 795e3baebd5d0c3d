/**
 * The job parameters' flags, read off the parameter table (packages/stages/src/params.ts):
 * `adq compress` turns them into CompressParams, `adq submit` into adq.v1.CompressionParams.
 * Neither writes a default or a rule of its own.
 */

import type { CompressionParams } from "@adq/service-common/proto";
import {
  type CompressParams,
  choiceProblem,
  DEFAULT_PARAMS,
  PARAM_LIST,
  PARAMS,
  protoFieldsOf,
  unusedParams,
  withDefaults,
} from "@adq/stages";
import { decimalNumber } from "./numbers.ts";
import { UsageError } from "./output-dir.ts";

type FlagValues = Record<string, string | boolean | undefined>;

const flagged = PARAM_LIST.filter((p) => p.flag !== undefined);

/** parseArgs options of every parameter flag. */
export const PARAM_OPTIONS: Record<string, { type: "string" | "boolean" }> = Object.fromEntries(
  flagged.map((p) => [p.flag!.slice(2), { type: p.kind === "boolean" ? "boolean" : "string" }]),
);

/** The parameters given on the command line (numbers parsed; choices as typed). */
function givenParams(values: FlagValues): Partial<Record<keyof CompressParams, unknown>> {
  const out: Partial<Record<keyof CompressParams, unknown>> = {};
  for (const spec of flagged) {
    const v = values[spec.flag!.slice(2)];
    if (v === undefined || (spec.kind === "boolean" && v !== true)) continue;
    out[spec.key] = spec.kind === "number" ? decimalNumber(spec.flag!, v as string) : v;
  }
  return out;
}

/**
 * `adq compress`: the parameters from their flags, unset ones at their defaults (the method
 * row's where it has its own: params.ts withDefaults). Choices are
 * checked with every other rule by validateParams (the coordinator's).
 */
export function paramsFromFlags(values: FlagValues): CompressParams {
  return withDefaults(givenParams(values));
}

/**
 * `adq submit`: only the parameters given, as proto fields (the server fills in the same
 * defaults as `adq compress`); the keep ratio, which the proto requires, at its default.
 */
export function protoParamsFromFlags(values: FlagValues): CompressionParams {
  const given = { ratio: PARAMS.ratio.default, ...givenParams(values) };
  for (const spec of flagged) {
    if (spec.kind !== "choice" || given[spec.key] === undefined) continue;
    const problem = choiceProblem(spec.key, given[spec.key]);
    if (problem) throw new UsageError(`${spec.flag} ${problem}`);
  }
  return protoFieldsOf(given) as CompressionParams;
}

/**
 * One warning per flag given that the chosen method does not read (`--alpha` under the default
 * CCS): said, not refused, since a scripted sweep may pass the same flags to every method.
 */
export function unusedFlagWarnings(values: FlagValues): string[] {
  const given = givenParams(values);
  const method = (given.method as string | undefined) ?? DEFAULT_PARAMS.method;
  const how = given.method === undefined ? `the default method, ${method}` : `--method ${method}`;
  return unusedParams(Object.keys(given) as Array<keyof CompressParams>, method).map(
    (p) => `${p.flag} is not used by ${how} (only by ${p.methods!.join(", ")}); ignored`,
  );
}
