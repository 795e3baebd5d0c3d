import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { errorInfo } from "@adq/core";
import { isS3Uri } from "@adq/ml";
import { IoError } from "@adq/platform";
import { paramsHelp, planJob, StageFailedError } from "@adq/stages";
import { compress } from "./compress.ts";
import { CONTROLLER_HELP, runController } from "./controller-cmd.ts";
import { defaultModelFor } from "./default-model.ts";
import { EVAL_HELP, EVAL_USAGE, runEval } from "./eval.ts";
import { EXECUTION_PROVIDER_HELP, executionProviderOf } from "./execution-provider.ts";
import { onePositional, parseCommand, switchFlags, valueFlags } from "./flags.ts";
import { HEALTH_HELP, runHealth } from "./health-cmd.ts";
import { decimalNumber } from "./numbers.ts";
import { UsageError } from "./output-dir.ts";
import { PARAM_OPTIONS, paramsFromFlags, unusedFlagWarnings } from "./param-flags.ts";
import { DEFAULT_DATASET, DEFAULT_MAE, DEFAULT_MODEL, GENERAL_MODEL, REPO_ROOT } from "./paths.ts";
import { ConsoleProgress } from "./progress.ts";
import { reconstruct } from "./reconstruct.ts";
import { REMOTE_HELP, runResult, runSubmit, runWatch } from "./remote.ts";
import { runServe, SECURITY_HELP, SERVE_HELP } from "./serve.ts";

// The public surface of @adq/cli: `main` and the default files (tests and benchmarks use them).
export { DEFAULT_DATASET, DEFAULT_MAE, DEFAULT_MODEL, GENERAL_MODEL, REPO_ROOT } from "./paths.ts";

const HELP = `adq — Adaptive Dataset Quantization

Usage:
  adq compress [dataset] [options]     select and pixel-quantize a subset (embedded, no servers)
  adq reconstruct <compressed-dir> --out <dir> [--mae <onnx>]
                                       MAE-reconstruct the kept images into an ImageFolder
${EVAL_USAGE}${SERVE_HELP}${REMOTE_HELP}${HEALTH_HELP}${SECURITY_HELP}${CONTROLLER_HELP}  adq help

compress options (defaults in brackets):
  dataset                ImageFolder root, CIFAR-10 binary folder, WebDataset .tar shards (a file, a folder,
                         or a brace pattern such as shards-{000..009}.tar), or s3://bucket/prefix of
                         either layout [bundled demo: ${DEFAULT_DATASET}]
${paramsHelp()}  --model <onnx>         feature model [CIFAR-10 classes and 32×32 images: ${DEFAULT_MODEL};
                         otherwise ${GENERAL_MODEL}]
  --model-input <name>, --model-embedding-output <name>, --model-logits-output <name>,
  --model-feature-map-output <name>, --model-pooled-output <name>
                         graph names of your own ONNX model [images, embedding, logits,
                         feature_map, pooled]; feature map and pooled are optional
  --model-input-size <px>|auto
                         the side the feature model runs at [its own]; auto: a model that can run
                         at several (adq.input.size_multiple) runs small images at 4× their side,
                         capped at its own (CIFAR-10 at 128 with ${GENERAL_MODEL}: 2.2× less CPU,
                         quality not yet measured, bench/quality/FINDINGS.md)
  --out <dir>            result folder, or s3://bucket/prefix (manifest.json written last: its presence
                         means the result is complete) [adq-out/<dataset>-<method>-r<ρ>-s<seed>]
  --keep-intermediates   also write embeddings/labels/texture (.npy) and bins (JSON)
  --cache-dir <dir>      stage-output cache, makes re-runs resume [$ADQ_CACHE_DIR or ~/.cache/adq]
  --threads <n>          ONNX Runtime intra-op threads [all cores]
  ${EXECUTION_PROVIDER_HELP}
  --force                replace a non-empty --out
${EVAL_HELP}`;

function num(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  return decimalNumber(`--${flag}`, v);
}

/** The flags that name your own ONNX model's graph input and outputs (ModelSpec.outputs). */
const MODEL_NAME_FLAGS = {
  input: "model-input",
  embedding: "model-embedding-output",
  logits: "model-logits-output",
  featureMap: "model-feature-map-output",
  pooled: "model-pooled-output",
} as const;

const COMPRESS_FLAGS = {
  ...PARAM_OPTIONS,
  ...valueFlags("model", "model-input-size", "out", "cache-dir", "shard-size"),
  ...valueFlags(...Object.values(MODEL_NAME_FLAGS)),
  ...valueFlags("threads", "execution-provider"), // ONNX Runtime
  ...switchFlags("keep-intermediates", "force"),
};

async function runCompress(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, COMPRESS_FLAGS);
  if (positionals.length > 1) throw new UsageError(`compress takes one data set, got ${positionals.length}`);
  const named = positionals[0] ?? DEFAULT_DATASET;
  // An s3:// data set is read through the standard AWS configuration (docs/object-storage.md).
  const dataset = isS3Uri(named) ? named : resolve(named);
  const params = paramsFromFlags(values);
  for (const w of unusedFlagWarnings(values)) process.stderr.write(`adq compress: warning: ${w}\n`);
  const executionProvider = executionProviderOf(values["execution-provider"]);
  const defaultOut = values.out === undefined;
  const out =
    values.out ?? join("adq-out", `${basename(dataset)}-${params.method}-r${params.ratio}-s${params.seed}`);
  const cacheDir = values["cache-dir"] ?? process.env.ADQ_CACHE_DIR ?? join(homedir(), ".cache", "adq");
  const controller = new AbortController();
  let signalled = "SIGINT" as NodeJS.Signals;
  const onSigint = () => controller.abort();
  const onSigterm = () => {
    signalled = "SIGTERM";
    controller.abort();
  };
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigterm);
  const started = Date.now();
  try {
    const threads = values.threads === undefined ? undefined : num("threads", values.threads, 0);
    const shardSize =
      values["shard-size"] === undefined ? undefined : num("shard-size", values["shard-size"], 0);
    // The default model depends on the data set and the method (models/README.md, "Default rule").
    const plan = planJob(params);
    const model = !plan.model
      ? null
      : values.model !== undefined
        ? resolve(values.model)
        : (await defaultModelFor(dataset, join(REPO_ROOT, "models"), params.method)).file;
    const outputs = Object.fromEntries(
      Object.entries(MODEL_NAME_FLAGS)
        .filter(([, flag]) => values[flag] !== undefined)
        .map(([k, flag]) => [k, values[flag] as string]),
    );
    // `auto` (0 in the model spec): the coordinator picks the side from the images' size.
    const inputSize =
      values["model-input-size"] === undefined
        ? undefined
        : values["model-input-size"] === "auto"
          ? 0
          : num("model-input-size", values["model-input-size"], 0);
    if (inputSize !== undefined && inputSize !== 0 && (!Number.isInteger(inputSize) || inputSize < 1))
      throw new UsageError(
        `--model-input-size must be a positive integer or auto, got ${values["model-input-size"]}`,
      );
    const res = await compress({
      dataset,
      out,
      ...(inputSize !== undefined ? { modelInputSize: inputSize } : {}),
      ...(Object.keys(outputs).length > 0 ? { modelOutputs: outputs } : {}),
      model,
      params,
      cacheDir,
      keepIntermediates: values["keep-intermediates"] === true,
      // The default result folder is ours to replace: re-running the same command just works.
      force: values.force === true || defaultOut,
      ...(threads ? { threads } : {}),
      ...(executionProvider ? { executionProvider } : {}),
      ...(shardSize ? { shardSize } : {}),
      progress: new ConsoleProgress(),
      signal: controller.signal,
    });
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `selected ${res.selected} of ${res.total} images (${params.method}, ρ=${params.ratio}) in ${secs}s\n` +
        `model: ${model}\nresult: ${res.out}\nreport: ${isS3Uri(res.out) ? `${res.out.replace(/\/$/, "")}/report.html` : join(res.out, "report.html")}\n`,
    );
    return 0;
  } catch (e) {
    if (controller.signal.aborted) {
      process.stderr.write(
        "adq: interrupted; no output was written (stage outputs are cached for a re-run)\n",
      );
      return signalled === "SIGTERM" ? 143 : 130; // 128 + the signal's number, as shells report it
    }
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  }
}

const RECONSTRUCT_FLAGS = {
  ...valueFlags("out", "mae", "threads", "execution-provider"),
  ...switchFlags("force"),
};

async function runReconstruct(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, RECONSTRUCT_FLAGS);
  const compressed = onePositional(
    positionals,
    "reconstruct takes one compressed folder (the output of adq compress)",
  );
  if (!values.out) throw new UsageError("reconstruct needs --out <dir>");
  const executionProvider = executionProviderOf(values["execution-provider"]);
  const res = await reconstruct({
    compressed: resolve(compressed),
    out: resolve(values.out),
    mae: resolve(values.mae ?? DEFAULT_MAE),
    force: values.force === true,
    ...(values.threads ? { threads: num("threads", values.threads, 0) } : {}),
    ...(executionProvider ? { executionProvider } : {}),
  });
  process.stdout.write(`reconstructed ${res.images} images into ${res.out}\n`);
  return 0;
}

const RECONSTRUCT_USAGE =
  "  adq reconstruct <compressed-dir> --out <dir> [--mae <onnx>] [--force]\n" +
  "                                       MAE-reconstruct the kept images into an ImageFolder\n";

/**
 * Every command: what runs it (it returns the exit code) and what `adq <command> --help`
 * prints (exit 0): the command's own part of `adq help`.
 */
const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  compress: { run: runCompress, help: HELP },
  reconstruct: { run: runReconstruct, help: `Usage:\n${RECONSTRUCT_USAGE}` },
  eval: { run: runEval, help: `Usage:\n${EVAL_USAGE}${EVAL_HELP}` },
  serve: { run: runServe, help: `Usage:\n${SERVE_HELP}${SECURITY_HELP}` },
  submit: { run: runSubmit, help: HELP },
  watch: { run: runWatch, help: `Usage:\n${REMOTE_HELP}${SECURITY_HELP}` },
  result: { run: runResult, help: `Usage:\n${REMOTE_HELP}${SECURITY_HELP}` },
  controller: { run: runController, help: `Usage:\n${CONTROLLER_HELP}${SECURITY_HELP}` },
  health: { run: runHealth, help: `Usage:\n${HEALTH_HELP}${SECURITY_HELP}` },
};

/** Runs the CLI; returns the exit code. Expected failures print one precise line, not a stack. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // `--help`/`-h` anywhere before a `--` asks for the command's help, not a run.
  const options = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  const command = cmd !== undefined && Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (command && (options.includes("--help") || options.includes("-h"))) {
    process.stdout.write(command.help);
    return 0;
  }
  try {
    if (command) return await command.run(rest);
    if (cmd === undefined || cmd === "help" || cmd === "--help" || cmd === "-h") {
      process.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(cmd)} (try: adq help)`);
  } catch (e) {
    const err = e as Error;
    // Bad input or a model that cannot serve (a typed error says which), a file system failure.
    const status = errorInfo(err)?.status;
    const expected =
      err instanceof UsageError ||
      status === "INVALID_ARGUMENT" ||
      status === "FAILED_PRECONDITION" ||
      err instanceof IoError ||
      err instanceof StageFailedError ||
      (err as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ||
      (err as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE";
    if (expected) {
      process.stderr.write(`adq: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`adq: unexpected error: ${err.stack ?? err.message}\n`);
    return 1;
  }
}
