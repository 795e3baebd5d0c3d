import { EXECUTION_PROVIDERS, type ExecutionProvider } from "@adq/ml";
import { UsageError } from "./compress.ts";

export const EXECUTION_PROVIDER_HELP =
  "--execution-provider cpu|cuda  ONNX Runtime provider; cuda falls back to cpu with one log line when\n" +
  "                         CUDA is absent [$ADQ_EXECUTION_PROVIDER or cpu]";

/**
 * `--execution-provider` (or `$ADQ_EXECUTION_PROVIDER`) of every command that runs ONNX
 * models; undefined when neither is set (CPU).
 */
export function executionProviderOf(flag: string | undefined): ExecutionProvider | undefined {
  const fromEnv = process.env.ADQ_EXECUTION_PROVIDER;
  const [value, what] =
    flag !== undefined
      ? [flag, "--execution-provider"]
      : fromEnv !== undefined && fromEnv !== ""
        ? [fromEnv, "$ADQ_EXECUTION_PROVIDER"]
        : [undefined, ""];
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(v))
    throw new UsageError(
      `${what} must be one of ${EXECUTION_PROVIDERS.join(", ")}, got ${JSON.stringify(value)}`,
    );
  return v as ExecutionProvider;
}
