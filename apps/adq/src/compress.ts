import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { errorInfo } from "@adq/core";
import {
  type ExecutionProvider,
  inspectTarget,
  isS3Uri,
  parseS3Uri,
  publishDirectory,
  type S3Location,
  s3Client,
} from "@adq/ml";
import { asIoError, FsArtifactStore, LocalBus } from "@adq/platform";
import {
  type CompressionOutcome,
  type CompressParams,
  ModelCache,
  type ModelSpec,
  registerStageWorkers,
  runCompression,
  type StageName,
  sha256File,
} from "@adq/stages";
import { writeIntermediates } from "./intermediates.ts";
import {
  checkOutputTarget,
  checkWritableDir,
  discardStaging,
  isNonEmptyDir,
  makeDirs,
  prepareStaging,
  publishStaging,
  UsageError,
} from "./output-dir.ts";
import type { ProgressSink } from "./progress.ts";

export { UsageError } from "./output-dir.ts";

export interface CompressOptions {
  dataset: string;
  out: string;
  model: string | null;
  /** Graph names of a model that does not use the contract's (--model-*-output). */
  modelOutputs?: ModelSpec["outputs"];
  /** --model-input-size: the side the model runs at (else its own, or the coordinator's rule). */
  modelInputSize?: number;
  params: CompressParams;
  cacheDir: string;
  keepIntermediates: boolean;
  force: boolean;
  threads?: number;
  executionProvider?: ExecutionProvider;
  shardSize?: number;
  progress: ProgressSink;
  signal?: AbortSignal;
}

/**
 * `adq compress`: runs the embedded pipeline (in-process bus, filesystem artifact store as
 * the resumable cache) and publishes the result folder atomically — everything is written
 * to a temporary sibling and renamed into place, so `--out` never holds a partial result.
 */
export async function compress(o: CompressOptions): Promise<CompressionOutcome & { out: string }> {
  const remoteOut = isS3Uri(o.out) ? await checkS3Out(o.out, o.dataset, o.force) : undefined;
  // An s3:// result is staged in a local temporary folder, then published (s3-publish.ts).
  const out = remoteOut ? join(await mkdtemp(join(tmpdir(), "adq-s3-out-")), "result") : resolve(o.out);
  const datasetPath = isS3Uri(o.dataset) ? o.dataset : resolve(o.dataset);
  const cacheDir = resolve(o.cacheDir);
  const modelFile = o.model ? resolve(o.model) : null;
  // Everything that can be known about the output is checked before the pipeline runs.
  const guarded = [
    ...(isS3Uri(o.dataset) ? [] : [{ what: "the data set", path: datasetPath }]),
    ...(modelFile ? [{ what: "the model", path: modelFile }] : []),
    { what: "the cache directory", path: cacheDir, allowInside: true },
  ];
  await checkOutputTarget(out, guarded);
  if (!remoteOut && (await isNonEmptyDir(out)) && !o.force) {
    throw new UsageError(`--out ${out} already exists and is not empty (use --force to replace it)`);
  }
  let model: ModelSpec | null = null;
  if (modelFile) {
    try {
      if (!(await stat(modelFile)).isFile()) throw new UsageError(`--model ${modelFile} is not a file`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--model ${modelFile} does not exist`);
    }
    model = {
      file: modelFile,
      sha256: await sha256File(modelFile),
      ...(o.modelOutputs ? { outputs: o.modelOutputs } : {}),
      ...(o.modelInputSize !== undefined ? { inputSize: o.modelInputSize } : {}),
    };
  }
  await checkWritableDir(cacheDir, "the cache directory");
  const staging = await prepareStaging(out);
  const store = new FsArtifactStore(cacheDir);
  const bus = new LocalBus();
  const workers = registerStageWorkers(bus, {
    store,
    models: new ModelCache({
      ...(o.threads ? { threads: o.threads } : {}),
      ...(o.executionProvider ? { executionProvider: o.executionProvider } : {}),
    }),
  });
  const jobId = `local-${randomBytes(6).toString("hex")}`;
  let current: StageName | null = null;
  let published = false;
  try {
    const outcome = await runCompression(
      {
        jobId,
        dataset: { path: datasetPath },
        model,
        params: o.params,
        ...(o.shardSize ? { shardSize: o.shardSize } : {}),
        resultPrefix: `results/${jobId}`,
      },
      {
        bus,
        store,
        ...(o.signal ? { signal: o.signal } : {}),
        onStage: (stage, total) => {
          if (current) o.progress.finish();
          current = stage;
          o.progress.stage(stage, total);
        },
        onProgress: (p) => o.progress.advance(p.done),
      },
    );
    if (current) o.progress.finish();
    const write = async (path: string, data: Uint8Array | string) => {
      try {
        await writeFile(path, data);
      } catch (e) {
        throw asIoError(e, path, "write");
      }
    };
    for (const f of outcome.files)
      await write(join(staging.tmp, f), await store.get(`${outcome.resultPrefix}/${f}`));
    if (o.keepIntermediates) {
      const dir = join(staging.tmp, "intermediates");
      await makeDirs(dir);
      await writeIntermediates(store, outcome, dir).catch((e: unknown) => {
        throw asIoError(e, dir, "write in");
      });
    }
    await write(join(staging.tmp, "timings.json"), `${JSON.stringify(outcome.timings, null, 1)}\n`);
    if (remoteOut) {
      await publishDirectory(s3Client(), staging.tmp, remoteOut).catch((e: unknown) => {
        throw errorInfo(e) ? e : asIoError(e, o.out, "write");
      });
    } else await publishStaging(staging, o.force, guarded);
    published = true;
    // The result copy in the cache is no longer needed; stage outputs stay for resumption.
    await store.deletePrefix(`${outcome.resultPrefix}/`);
    return { ...outcome, out: remoteOut ? o.out : out };
  } finally {
    if (!published) {
      // Interrupted or failed: stop the in-process handlers at their next batch instead of
      // waiting for the running stage task to finish.
      bus.abortAll();
      await discardStaging(staging);
    }
    // The local staging parent of an s3:// result, published or not.
    if (remoteOut) await rm(dirname(out), { recursive: true, force: true });
    await workers.close();
    await bus.close();
  }
}

/**
 * `--out s3://bucket/prefix`, checked before any work: not overlapping an s3:// data set, and
 * holding no result (or `--force`) — an unfinished attempt of ours is overwritten without it,
 * so a retry of the same command just works.
 */
async function checkS3Out(out: string, dataset: string, force: boolean): Promise<S3Location> {
  let dest: S3Location;
  try {
    dest = parseS3Uri(out, "--out");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const folder = (k: string) => (k === "" || k.endsWith("/") ? k : `${k}/`);
  if (isS3Uri(dataset)) {
    const ds = parseS3Uri(dataset.replace(/\{.*$/, ""));
    const [a, b] = [folder(dest.key), folder(ds.key)];
    if (ds.bucket === dest.bucket && (a.startsWith(b) || b.startsWith(a)))
      throw new UsageError(`--out ${out} overlaps the data set ${dataset}; choose a prefix outside it`);
  }
  const state = await inspectTarget(s3Client(), dest);
  if ((state === "committed" || state === "foreign") && !force)
    throw new UsageError(
      `--out ${out} already ${state === "committed" ? "holds a result" : "holds other objects"} (use --force to replace it)`,
    );
  return dest;
}
