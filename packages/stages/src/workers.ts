import { type ErrorInfo, errorInfo } from "@adq/core";
import type { ArtifactStore, Bus, Subscription } from "@adq/platform";
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
  const serve = <T>(stage: string, fn: (t: T, signal: AbortSignal) => Promise<unknown>) => {
    if (!want.has(stage)) return;
    subs.push(
      bus.consume(
        stage,
        (task, ctx) => permanentOnBadInput((p: T) => fn(p, ctx.signal))(task.payload as T),
        opts(stage),
      ),
    );
  };
  serve<FeaturesTask>("features", (t, signal) => handleFeatures(t, { store, models, signal }));
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
