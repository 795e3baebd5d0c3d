/**
 * Whether a feature model's classes are the data set's (docs/algorithm.md §8; issue 16).
 *
 * The model's classes are its `adq.class_names` metadata (names) and its logits width (count).
 * They match when the metadata lists exactly `count` names and every data-set class name is one
 * of them (compared case-insensitively, ignoring spaces, '-' and '_'): then class c of the
 * data set is logit `map[c]` of the model, and the model's own logits give p − y over its
 * classes (for the bundled CIFAR-10 demo, and any subset of CIFAR-10's classes, map is the
 * identity or an injection). Anything else — no names, names that disagree with the count, a
 * data-set class the model does not know — is a mismatch, and the gradient embedding uses a
 * cross-fitted head over the data set's own classes instead (packages/core/src/softmax-head.ts).
 * Never mixed: one source for the whole job, recorded in the manifest.
 */
export type ClassMatch = { match: true; map: number[] } | { match: false; reason: string };

const canon = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, "");

export function matchClasses(
  datasetClasses: readonly string[],
  modelClassNames: readonly string[] | null | undefined,
  modelClassCount: number,
): ClassMatch {
  if (!modelClassNames || modelClassNames.length === 0)
    return { match: false, reason: "the model's metadata names no classes (adq.class_names)" };
  if (modelClassNames.length !== modelClassCount)
    return {
      match: false,
      reason: `the model names ${modelClassNames.length} classes but has ${modelClassCount} logits`,
    };
  const index = new Map<string, number>();
  modelClassNames.forEach((n, i) => {
    if (!index.has(canon(n))) index.set(canon(n), i);
  });
  const map: number[] = [];
  const missing: string[] = [];
  for (const c of datasetClasses) {
    const i = index.get(canon(c));
    if (i === undefined) missing.push(c);
    else map.push(i);
  }
  if (missing.length > 0) {
    const shown = missing
      .slice(0, 3)
      .map((m) => JSON.stringify(m))
      .join(", ");
    const which = missing.length === datasetClasses.length ? "none" : `${missing.length}`;
    return {
      match: false,
      reason: `${which} of the data set's ${datasetClasses.length} classes (${shown}${missing.length > 3 ? ", …" : ""}) ${which === "none" ? "is" : "are not"} among the model's ${modelClassCount} classes`,
    };
  }
  if (new Set(map).size !== map.length)
    return { match: false, reason: "two data-set classes map to the same model class" };
  return { match: true, map };
}
