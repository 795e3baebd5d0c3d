/** ScoringService.ScoreBin: RS (texture) and DS (contrastive) of one bin (handleScoring). */

import { failedPrecondition, invalidArgument } from "@adq/service-common";
import type { ScoreBinRequest__Output as ScoreBinRequest, ScoreBinResponse } from "@adq/service-common/proto";
import { handleScoring, SHARD_ARRAYS } from "@adq/stages";
import type { StageRpcContext } from "./context.ts";
import { asInvalid, bindTask, digests, input, outPrefix, shardRefs } from "./refs.ts";

const DIVERSITY = {
  DIVERSITY_METHOD_UNSPECIFIED: "infonce",
  DIVERSITY_METHOD_CONTRASTIVE: "infonce",
  DIVERSITY_METHOD_UNTRAINED_HEAD: "untrained-head",
} as const;

export async function scoreBin({ store }: StageRpcContext, req: ScoreBinRequest): Promise<ScoreBinResponse> {
  const defaultTau = 0.5;
  const out = outPrefix(req.task, "scoring");
  if (req.skipDiversity)
    throw invalidArgument("skip_diversity", "not supported: the scoring handler always computes DS");
  const binsKey = await input(store, req.bins?.bins, "bins.bins");
  const tau = req.diversity?.tau ?? defaultTau;
  if (!(tau > 0)) throw invalidArgument("diversity.tau", "must be > 0");
  const method =
    DIVERSITY[(req.diversity?.method ?? "DIVERSITY_METHOD_UNSPECIFIED") as keyof typeof DIVERSITY];
  if (!method) throw invalidArgument("diversity.method", `unknown ${req.diversity?.method}`);
  const shards = await shardRefs(store, req.features, ["embeddings", "pooled", "textureLevels"]);
  for (const s of shards)
    if (!(await store.stat(`${s.prefix}/${SHARD_ARRAYS.view}`)))
      throw failedPrecondition(
        `features: ${s.prefix}/${SHARD_ARRAYS.view} (augmented-view features) is missing`,
        "ERROR_REASON_ARTIFACT_UNAVAILABLE",
      );
  const sizes = (req.bins?.binSizes ?? []).map(Number);
  if (sizes.length > 0 && !(req.binIndex < sizes.length))
    throw invalidArgument("bin_index", `must be < ${sizes.length}`);
  await bindTask(store, out, {
    bins: await digests(store, [binsKey]),
    inputs: await digests(
      store,
      shards.flatMap((s) => ["embedding", "pooled", "texture", "view"].map((n) => `${s.prefix}/${n}.npy`)),
    ),
    binIndex: req.binIndex,
    method,
    tau,
    seed: req.seed,
  });
  const reused = (await store.stat(`${out}/scores.json`)) !== undefined;
  const classIndex = req.bins?.classIndex ?? 0;
  const r = await handleScoring(
    { classIndex, bin: req.binIndex, binsKey, shards, diversity: method, tau, seed: req.seed, out },
    store,
  ).catch((e) => asInvalid(e, "bin_index"));
  const bins = JSON.parse(Buffer.from(await store.get(binsKey)).toString("utf8")) as { bins: number[][] };
  return {
    score: {
      classIndex,
      className: "",
      binIndex: req.binIndex,
      size: bins.bins[req.binIndex]?.length ?? 0,
      rs: r.rs,
      ds: r.ds,
    },
    diagnostics: null,
    reused,
  };
}
