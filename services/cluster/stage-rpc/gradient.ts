/**
 * Where BinClass's p (in the gradient embedding p − y) comes from — the class check the
 * coordinator makes once per job (packages/stages/src/class-match.ts), made here from what
 * ExtractFeatures stored: the model's classes (the features handler's done.json) and the
 * dataset's (classes.json). Matching classes: the model's logit map[c] for class c. Otherwise
 * the job's cross-fitted softmax head (the handler the binning worker runs, handleHead), fitted
 * once per job and feature set on every shard's readable items and stored under
 * `jobs/{job}/head/{content key}`, so each class's BinClass call reuses it.
 */
import { decodeNpy, encodeNpy } from "@adq/platform";
import { failedPrecondition } from "@adq/service-common";
import {
  contentKey,
  type FeaturesResult,
  HEAD_SETTINGS,
  handleHead,
  matchClasses,
  type ShardRef,
} from "@adq/stages";
import type { StageRpcContext } from "./context.ts";
import { CLASSES_FILE } from "./features.ts";
import {
  digests,
  type FeatureArtifactsMsg,
  input,
  outPrefix,
  readJsonRef,
  type TaskContextMsg,
} from "./refs.ts";

export type GradientChoice = { logitClass: number[] } | { headPrefix: string };

export async function gradientFor(
  ctx: StageRpcContext,
  task: TaskContextMsg | null,
  features: FeatureArtifactsMsg[],
  shards: ShardRef[],
  seed: number,
): Promise<GradientChoice> {
  const { store } = ctx;
  const first = shards[0]!.prefix;
  if (!(await store.stat(`${first}/${CLASSES_FILE}`)))
    throw failedPrecondition(
      `features[0]: ${first} has no ${CLASSES_FILE} (written by an older server); run ExtractFeatures again`,
      "ERROR_REASON_ARTIFACT_UNAVAILABLE",
    );
  const { classes } = await readJsonRef<{ classes: string[] }>(
    store,
    `${first}/${CLASSES_FILE}`,
    "features[0]",
  );
  const { model } = await readJsonRef<FeaturesResult>(store, `${first}/done.json`, "features[0]");
  const match = matchClasses(classes, model.classNames, model.classes);
  if (match.match) return { logitClass: match.map };

  // Every shard's readable items and their labels, as the coordinator lists them.
  const N = Math.max(...shards.map((s) => s.end));
  const labels = new Int32Array(N);
  const items: number[] = [];
  const inputs: string[] = [];
  for (const [i, f] of features.entries()) {
    const lk = await input(store, f.labels, `features[${i}].labels`);
    const ik = await input(store, f.itemIndices, `features[${i}].item_indices`);
    const l = decodeNpy(await store.get(lk), lk).data as ArrayLike<number | bigint>;
    const idx = decodeNpy(await store.get(ik), ik).data as ArrayLike<number | bigint>;
    for (let k = 0; k < idx.length; k++) {
      labels[Number(idx[k])] = Number(l[k]);
      items.push(Number(idx[k]));
    }
    inputs.push(lk, ik, `${shards[i]!.prefix}/embedding.npy`);
  }
  items.sort((a, b) => a - b);
  const h = { ...HEAD_SETTINGS, classes: classes.length, seed };
  const base = outPrefix(
    { jobId: task?.jobId ?? "", taskKey: contentKey({ v: 1, inputs: await digests(store, inputs), ...h }) },
    "head",
  );
  const labelsKey = `${base}/labels.npy`;
  const itemsKey = `${base}/items.npy`;
  if (!(await store.stat(itemsKey))) {
    await store.put(labelsKey, encodeNpy({ data: labels, shape: [N] }), "application/x-npy");
    await store.put(
      itemsKey,
      encodeNpy({ data: Int32Array.from(items), shape: [items.length] }),
      "application/x-npy",
    );
  }
  const head = await handleHead(
    { kind: "head", labelsKey, itemsKey, shards, reason: match.reason, ...h, out: base },
    store,
  );
  return { headPrefix: head.prefix };
}
