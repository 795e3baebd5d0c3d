import { type ErrorInfo, errorInfo } from "@adq/core";
import type { ArtifactStore, Bus, Subscription, TaskMessage } from "@adq/platform";
import { PermanentTaskError } from "@adq/platform";
import { type AssembleTask, handleAssemble } from "./handlers/assemble.ts";
import { handleBinning } from "./handlers/binning.ts";
import { handleFeatures } from "./handlers/features.ts";
import { handleHead } from "./handlers/head.ts";
import { handleSampling } from "./handlers/sampling.ts";
import { handleScoring } from "./handlers/scoring.ts";
import { ModelCache } from "./model-cache.ts";
import type { BinningTask, FeaturesTask, HeadTask, SamplingTask, ScoringTask } from "./tasks.ts";

/**
 * What retrying cannot fix — bad input data (a bad image, a dataset), a model that breaks its
 * contract, an object store refusing the credentials, a RangeError from core's preconditions —
 * as the typed error it is (RangeError: invalid input), else undefined.
 */
function permanentInfo(e: unknown): ErrorInfo | undefined {
  const info = errorInfo(e);
  if (
    info?.status === "INVALID_ARGUMENT" ||
    info?.status === "FAILED_PRECONDITION" ||
    info?.status === "PERMISSION_DENIED"
  )
    return info;
  if (e instanceof RangeError) return { status: "INVALID_ARGUMENT", message: e.message };
  return undefined;
}

/** Most one features task's progress events per this many ms (the last batch always goes). */
export const FEATURES_PROGRESS_MS = 1000;

/**
 * A features task's per-batch callback: publishes the images it has done as a job event
 * (`message` = its task key), which the coordinator sums over shards (coordinator.ts
 * runImageProgress). Lost events cost nothing: the task's outcome counts its whole shard.
 */
function featuresProgress(
  bus: Bus,
  task: TaskMessage,
  t: FeaturesTask,
  intervalMs: number,
): (done: number) => void {
  const n = t.shard.end - t.shard.start;
  let last = 0;
  return (done) => {
    const now = Date.now();
    if (done < n && now - last < intervalMs) return;
    last = now;
    bus
      .publishEvent({
        jobId: task.jobId,
        kind: "progress",
        stage: "features",
        message: task.taskKey,
        done,
        total: n,
        at: now,
      })
      .catch(() => {});
  };
}

function permanentOnBadInput<T, R>(fn: (t: T) => Promise<R>): (t: T) => Promise<R> {
  return async (t) => {
    try {
      return await fn(t);
    } catch (e) {
      const info = permanentInfo(e);
      if (info) throw new PermanentTaskError(info.message, info);
      throw e;
    }
  };
}

export interface StageWorkerOptions {
  store: ArtifactStore;
  models?: ModelCache;
  /** Which stages this process serves (default all). */
  stages?: readonly string[];
  concurrency?: Partial<Record<string, number>>;
  maxAttempts?: number;
  /** Most one progress event per features task per this many ms (default FEATURES_PROGRESS_MS). */
  featuresProgressMs?: number;
}

/**
 * Serves the stage handlers on a Bus. The handlers know nothing of the transport: the same
 * registration runs in-process (embedded) and on NATS JetStream workers.
 */
export function registerStageWorkers(
  bus: Bus,
  options: StageWorkerOptions,
): { close(): Promise<void>; models: ModelCache } {
  const { store } = options;
  const models = options.models ?? new ModelCache();
  const want = new Set(options.stages ?? ["features", "binning", "scoring", "sampling", "assemble"]);
  const subs: Subscription[] = [];
  const opts = (stage: string) => ({
    concurrency: options.concurrency?.[stage] ?? 1,
    maxAttempts: options.maxAttempts ?? 3,
  });
  const serve = <T>(
    stage: string,
    fn: (t: T, signal: AbortSignal, task: TaskMessage) => Promise<unknown>,
  ) => {
    if (!want.has(stage)) return;
    subs.push(
      bus.consume(
        stage,
        (task, ctx) => permanentOnBadInput((p: T) => fn(p, ctx.signal, task))(task.payload as T),
        opts(stage),
      ),
    );
  };
  serve<FeaturesTask>("features", (t, signal, task) =>
    handleFeatures(t, {
      store,
      models,
      signal,
      onBatch: featuresProgress(bus, task, t, options.featuresProgressMs ?? FEATURES_PROGRESS_MS),
    }),
  );
  // The binning queue also carries the job's head task (kind "head"), which must finish
  // before the class tasks: it needs every class's embeddings, as no other stage does.
  serve<BinningTask | HeadTask>("binning", (t) =>
    "kind" in t && t.kind === "head" ? handleHead(t, store) : handleBinning(t as BinningTask, store),
  );
  serve<ScoringTask>("scoring", (t) => handleScoring(t, store));
  serve<SamplingTask>("sampling", (t) => handleSampling(t, store));
  serve<AssembleTask>("assemble", (t) => handleAssemble(t, store));
  return {
    models,
    close: async () => {
      await Promise.all(subs.map((s) => s.close()));
      await models.close();
    },
  };
}
