/** BinningService.BinClass: GraphCut bins of one class over ExtractFeatures' shards (handleBinning). */

import { createHash } from "node:crypto";
import { encodeNpy } from "@adq/platform";
import { invalidArgument } from "@adq/service-common";
import type { BinClassRequest__Output as BinClassRequest, BinClassResponse } from "@adq/service-common/proto";
import { checkNumber, handleBinning, PARAMS } from "@adq/stages";
import type { StageRpcContext } from "./context.ts";
import { gradientFor } from "./gradient.ts";
import { asInvalid, bindTask, classMembers, digests, outPrefix, ref, shardRefs } from "./refs.ts";

export async function binClass(ctx: StageRpcContext, req: BinClassRequest): Promise<BinClassResponse> {
  const { store } = ctx;
  const out = outPrefix(req.task, "binning");
  // 0: unset (proto3), the job default.
  const lambda = checkNumber("lambda", req.graphcutLambda || PARAMS.lambda.default, PARAMS.lambda.proto);
  const shards = await shardRefs(store, req.features, ["embeddings", "logits"]);
  // The class's members (from each shard's labels and item indices, validated there) are
  // what the bins depend on besides the arrays: bind the task to them, not to the refs.
  const members = await classMembers(store, req.features, req.classIndex);
  if (members.length === 0) throw invalidArgument("class_index", `class ${req.classIndex} has no items`);
  // p over the dataset's classes: the model's logits (classes match) or the job's fitted head.
  const gradient = await gradientFor(ctx, req.task, req.features, shards, req.seed ?? 0);
  const inputs = shards.flatMap((s) => [`${s.prefix}/embedding.npy`, `${s.prefix}/logits.npy`]);
  await bindTask(store, out, {
    inputs: await digests(store, inputs),
    members: createHash("sha256")
      .update(new Uint8Array(members.buffer, members.byteOffset, members.byteLength))
      .digest("hex"),
    classIndex: req.classIndex,
    bins: req.bins,
    lambda,
    gradient,
  });
  const reused = (await store.stat(`${out}/bins.json`)) !== undefined;
  const membersKey = `${out}/members.npy`;
  await store.put(membersKey, encodeNpy({ data: members, shape: [members.length] }), "application/x-npy");
  const r = await handleBinning(
    {
      classIndex: req.classIndex,
      membersKey,
      shards,
      bins: req.bins,
      lambda,
      embedding: "gradient",
      // As the coordinator: a logit class only where it differs from the class index.
      ...("logitClass" in gradient && gradient.logitClass[req.classIndex] !== req.classIndex
        ? { logitClass: gradient.logitClass[req.classIndex]! }
        : {}),
      ...("headPrefix" in gradient ? { headPrefix: gradient.headPrefix } : {}),
      out,
    },
    store,
  ).catch((e) => asInvalid(e, "bins"));
  return {
    bins: {
      classIndex: req.classIndex,
      classSize: members.length,
      binSizes: r.sizes,
      bins: await ref(store, r.key),
    },
    reused,
  };
}
