import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { FsArtifactStore, LocalBus } from "#platform";
import {
  type CompressionOutcome,
  type CompressParams,
  ModelCache,
  type ModelSpec,
  registerStageWorkers,
  runCompression,
  type StageName,
  sha256File,
} from "#stages";
import { writeIntermediates } from "./intermediates.ts";
import type { ProgressSink } from "./progress.ts";

export interface CompressOptions {
  dataset: string;
  out: string;
  model: string | null;
  /** Graph names of a model that does not use the contract's (--model-*-output). */
  modelOutputs?: ModelSpec["outputs"];
  params: CompressParams;
  cacheDir: string;
  keepIntermediates: boolean;
  force: boolean;
  threads?: number;
  shardSize?: number;
  progress: ProgressSink;
  signal?: AbortSignal;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

async function isNonEmptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    if ((e as NodeJS.ErrnoException).code === "ENOTDIR")
      throw new UsageError(`--out ${path} exists and is not a directory`);
    throw e;
  }
}

/**
 * `adq compress`: runs the embedded pipeline (in-process bus, filesystem artifact store as
 * the resumable cache) and publishes the result folder atomically — everything is written
 * to a temporary sibling and renamed into place, so `--out` never holds a partial result.
 */
export async function compress(o: CompressOptions): Promise<CompressionOutcome & { out: string }> {
  const out = resolve(o.out);
  if ((await isNonEmptyDir(out)) && !o.force) {
    throw new UsageError(`--out ${out} already exists and is not empty (use --force to replace it)`);
  }
  let model: ModelSpec | null = null;
  if (o.model) {
    const file = resolve(o.model);
    try {
      if (!(await stat(file)).isFile()) throw new UsageError(`--model ${file} is not a file`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--model ${file} does not exist`);
    }
    model = { file, sha256: await sha256File(file), ...(o.modelOutputs ? { outputs: o.modelOutputs } : {}) };
  }
  const store = new FsArtifactStore(resolve(o.cacheDir));
  const bus = new LocalBus();
  const workers = registerStageWorkers(bus, {
    store,
    models: new ModelCache(o.threads ? { threads: o.threads } : {}),
  });
  const jobId = `local-${randomBytes(6).toString("hex")}`;
  let current: StageName | null = null;
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${randomBytes(3).toString("hex")}`);
  try {
    const outcome = await runCompression(
      {
        jobId,
        dataset: { path: resolve(o.dataset) },
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
    await mkdir(tmp, { recursive: true });
    for (const f of outcome.files)
      await writeFile(join(tmp, f), await store.get(`${outcome.resultPrefix}/${f}`));
    if (o.keepIntermediates) await writeIntermediates(store, outcome, join(tmp, "intermediates"));
    await writeFile(join(tmp, "timings.json"), `${JSON.stringify(outcome.timings, null, 1)}\n`);
    if (o.force) await rm(out, { recursive: true, force: true });
    await mkdir(dirname(out), { recursive: true });
    await rename(tmp, out);
    // The result copy in the cache is no longer needed; stage outputs stay for resumption.
    await store.deletePrefix(`${outcome.resultPrefix}/`);
    return { ...outcome, out };
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await workers.close();
    await bus.close();
  }
}
