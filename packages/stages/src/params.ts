import { InvalidArgumentError } from "@adq/platform";
import type { CompressParams, DiversityMethod, Method } from "./outputs.ts";
import { STORE_CODECS } from "./pq-store.ts";

export const DEFAULT_PARAMS: CompressParams = {
  ratio: 0.1,
  bins: 10,
  alpha: 0.65,
  drop: 0.25,
  seed: 0,
  method: "adq",
  lambda: 1,
  textureL: 32,
  diversity: "infonce",
  tau: 0.5,
  rsWeight: 1,
  dsWeight: 1,
  strength: 0.2,
  ccsBeta: 0.1,
  ccsStrata: 50,
  patchGrid: 8,
  skipBadFiles: false,
  storeCodec: "webp",
  storeQuality: 90,
};

const METHODS: readonly Method[] = ["adq", "dq", "random", "ccs"];
const DIVERSITY: readonly DiversityMethod[] = ["infonce", "untrained-head"];

/** Validates every parameter; the error names the field (maps to INVALID_ARGUMENT / a CLI flag). */
export function validateParams(p: CompressParams): CompressParams {
  const num = (field: keyof CompressParams, ok: (v: number) => boolean, rule: string) => {
    const v = p[field] as number;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v))
      throw new InvalidArgumentError(field, `must be ${rule}, got ${v}`);
  };
  num("ratio", (v) => v > 0 && v <= 1, "in (0, 1]");
  num("bins", (v) => Number.isInteger(v) && v >= 1, "an integer ≥ 1");
  num("alpha", (v) => v >= 0 && v <= 1, "in [0, 1]");
  num("drop", (v) => v >= 0 && v < 1, "in [0, 1)");
  num("seed", (v) => Number.isSafeInteger(v) && v >= 0, "a non-negative integer");
  num("lambda", (v) => v > 0, "> 0");
  num("textureL", (v) => Number.isInteger(v) && v >= 3, "an integer ≥ 3");
  num("tau", (v) => v > 0, "> 0");
  num("rsWeight", (v) => v >= 0, "≥ 0");
  num("dsWeight", (v) => v >= 0, "≥ 0");
  num("strength", (v) => v >= 0 && v <= 10, "in [0, 10]");
  num("ccsBeta", (v) => v >= 0 && v < 1, "in [0, 1)");
  num("ccsStrata", (v) => Number.isInteger(v) && v >= 1 && v <= 10_000, "an integer in [1, 10000]");
  num("patchGrid", (v) => Number.isInteger(v) && v >= 1 && v <= 64, "an integer in [1, 64]");
  num("storeQuality", (v) => Number.isInteger(v) && v >= 1 && v <= 100, "an integer in [1, 100]");
  if (!STORE_CODECS.includes(p.storeCodec))
    throw new InvalidArgumentError(
      "storeCodec",
      `must be one of ${STORE_CODECS.join(", ")}, got ${p.storeCodec}`,
    );
  if (!METHODS.includes(p.method))
    throw new InvalidArgumentError("method", `must be one of ${METHODS.join(", ")}, got ${p.method}`);
  if (!DIVERSITY.includes(p.diversity))
    throw new InvalidArgumentError("diversity", `must be one of ${DIVERSITY.join(", ")}, got ${p.diversity}`);
  return p;
}
