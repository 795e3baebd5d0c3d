import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import type { SessionConfig } from "./model-contract.ts";
import { sessionOptions } from "./model-contract.ts";

/**
 * ONNX Runtime sessions with an optional CUDA execution provider.
 *
 * onnxruntime-node's npm package ships CPU binaries only; the CUDA provider
 * (libonnxruntime_providers_cuda.so) is added by its install script with
 * ONNXRUNTIME_NODE_INSTALL=cuda12 (the GPU image does that). Asking for "cuda" therefore
 * means: use CUDA when the provider library is there and loads (a GPU, the CUDA runtime),
 * otherwise run on CPU and say so once per process in one line. The model's results are the
 * same either way up to floating-point rounding.
 */

/** Why CUDA is not used in this process, once found out (later sessions go straight to CPU). */
let cudaUnavailable: string | undefined;

/** Directory of onnxruntime-node's native binding for this platform (binding.js loads from there). */
function ortBinaryDir(): string {
  const index = fileURLToPath(import.meta.resolve("onnxruntime-node"));
  return join(dirname(index), "..", "bin", "napi-v6", process.platform, process.arch);
}

/** The provider library, or why it is absent (checked before ONNX Runtime prints its own errors). */
function cudaLibraryProblem(): string | undefined {
  const lib = join(ortBinaryDir(), "libonnxruntime_providers_cuda.so");
  return existsSync(lib) ? undefined : `${lib} is not installed (CPU-only onnxruntime-node)`;
}

/** Creates a session on the configured provider; `cuda` falls back to CPU (one log line). */
export async function createSession(bytes: Uint8Array, cfg: SessionConfig): Promise<ort.InferenceSession> {
  if (cfg.executionProvider !== "cuda") return ort.InferenceSession.create(bytes, sessionOptions(cfg));
  if (cudaUnavailable === undefined) {
    const problem = cudaLibraryProblem();
    if (problem === undefined) {
      try {
        return await ort.InferenceSession.create(bytes, sessionOptions(cfg));
      } catch (e) {
        // A broken model fails on CPU too and is reported from there; anything else here is the
        // provider (no GPU, no driver, wrong CUDA/cuDNN version).
        const cpu = await ort.InferenceSession.create(
          bytes,
          sessionOptions({ ...cfg, executionProvider: "cpu" }),
        );
        fallBack(cfg, (e as Error).message.split("\n")[0] ?? String(e));
        return cpu;
      }
    }
    fallBack(cfg, problem);
  }
  return ort.InferenceSession.create(bytes, sessionOptions({ ...cfg, executionProvider: "cpu" }));
}

function fallBack(cfg: SessionConfig, why: string): void {
  cudaUnavailable = why;
  const line = `execution provider cuda unavailable, falling back to cpu: ${why}`;
  if (cfg.warn) cfg.warn(line);
  else process.stderr.write(`adq: ${line}\n`);
}

/**
 * Why the CUDA provider cannot run `bytes` here, or undefined when it can: the provider library
 * is installed and a session on it opens (a GPU, a driver, matching CUDA/cuDNN). No fallback:
 * a stage that must use its GPU (`--require-execution-provider`) asks this once at start.
 */
export async function cudaProblem(bytes: Uint8Array): Promise<string | undefined> {
  const lib = cudaLibraryProblem();
  if (lib !== undefined) return lib;
  try {
    const s = await ort.InferenceSession.create(bytes, sessionOptions({ executionProvider: "cuda" }));
    await s.release();
    return undefined;
  } catch (e) {
    return (e as Error).message.split("\n")[0] ?? String(e);
  }
}
