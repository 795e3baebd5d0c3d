import type { ErrorInfo, TypedError } from "@adq/core";

/** A model file that does not satisfy its contract; the message names the file and what is wrong. */
export class ModelContractError extends Error implements TypedError {
  override readonly name = "ModelContractError";
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }

  /** The model cannot serve the job as it is: a precondition, not a bad request field. */
  get info(): ErrorInfo {
    const { message, file: path, detail } = this;
    return { status: "FAILED_PRECONDITION", message, reason: "MODEL_CONTRACT", path, detail };
  }
}

export type ExecutionProvider = "cpu" | "cuda";
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ["cpu", "cuda"];

export interface SessionConfig {
  /** Intra-op threads for ONNX Runtime (0 = its default, one per core). */
  threads?: number;
  /** "cuda" asks for ONNX Runtime's CUDA execution provider; CPU when it is absent (session.ts). */
  executionProvider?: ExecutionProvider;
  /** Where the one "CUDA unavailable, using CPU" line goes; default stderr. */
  warn?: (message: string) => void;
}

export function sessionOptions(
  cfg: SessionConfig,
): import("onnxruntime-node").InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: cfg.threads ?? 0,
    interOpNumThreads: 1,
    executionProviders: [cfg.executionProvider ?? "cpu"],
    graphOptimizationLevel: "all",
    // Idle intra-op threads sleep instead of spin-waiting for the next operator: the spinning
    // burnt a core's worth of CPU per session on a machine shared with other work (and with
    // the other stages of a job) and bought no wall time there (bench/RESULTS-fast-default.md).
    // It changes no result: the same kernels run on the same data.
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
}

export function parseFloatList(file: string, key: string, value: string | undefined, n: number): number[] {
  if (value === undefined) throw new ModelContractError(file, `metadata ${key} is missing`);
  const xs = value.split(",").map((s) => Number(s.trim()));
  if (xs.length !== n || xs.some((x) => !Number.isFinite(x))) {
    throw new ModelContractError(
      file,
      `metadata ${key} must be ${n} comma-separated numbers, got ${JSON.stringify(value)}`,
    );
  }
  return xs;
}
