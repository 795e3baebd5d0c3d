/**
 * Stage task payloads and results. They are JSON-serialisable and small: bulk data lives
 * in the ArtifactStore under `out` prefixes; tasks reference it by key. The same payloads
 * travel through the in-process bus and NATS JetStream.
 */
import type { DiversityMethod, Method } from "./outputs.ts";

export interface DatasetSpec {
  /** Local path (embedded) or a path under a configured root (services). */
  path: string;
}

export interface ModelSpec {
  file: string;
  sha256: string;
  /** Graph names of a model that does not use the contract's (FeatureModelNames); absent: the contract's. */
  outputs?: {
    input?: string;
    embedding?: string;
    logits?: string;
    featureMap?: string;
    pooled?: string;
  };
  /**
   * The side the model runs at, when not its `adq.input.size`: given (`adq compress
   * --model-input-size`), or 0 to have the coordinator pick it from the images' size for a model
   * that can run at several sides (`adq.input.size_multiple`, runSideFor; `--model-input-size
   * auto`). Part of every cache key.
   */
  inputSize?: number;
}

export interface ShardRef {
  index: number;
  start: number;
  end: number;
  /** Artifact prefix holding the shard's feature arrays. */
  prefix: string;
}

export interface FeaturesTask {
  dataset: DatasetSpec;
  model: ModelSpec;
  shard: { index: number; start: number; end: number };
  seed: number;
  textureL: number;
  patchGrid: number;
  /** Compute the augmented view's features (needed by the diversity score). */
  views: boolean;
  /** Compute CAM patch scores (needed for patch dropping). */
  cam: boolean;
  skipBadFiles: boolean;
  batchSize: number;
  out: string;
}

export interface FeaturesResult {
  out: string;
  n: number;
  /** Items in this shard that could not be read (skip mode only), by global index. */
  skipped: Array<{ index: number; id: string; reason: string }>;
  /** The model's classes (logits width, metadata names) and embedding width. */
  model: { classes: number; classNames: string[] | null; embedding: number };
  /** How the CAM patch scores were computed (null without patch dropping). */
  patchScores: PatchScoreSource | null;
}

/**
 * "cam": the model's head for the item's own class (classes match); "activation": the
 * class-agnostic channel sum of the last conv map (features.ts activationPatchScores);
 * "texture": the model has no feature map, patches ranked by Sobel texture (core gridTextureScores).
 */
export type PatchScoreSource = "cam" | "activation" | "texture";

/**
 * Where p in the gradient embedding p − y comes from. "model": the model's own logits, data-set
 * class c being logit `classMap[c]`. "fitted-head": a softmax head cross-fitted on the frozen
 * embeddings over the data set's classes (packages/core/src/softmax-head.ts).
 */
export type GradientSource =
  | { source: "model"; modelClasses: number; classMap: number[] }
  | {
      source: "fitted-head";
      reason: string;
      folds: number;
      epochs: number;
      l2: number;
      heldOutAccuracy: number;
      items: number;
      /** Embedding width the head was fitted on, when a random projection narrowed it (softmax-head.ts). */
      projectedDim?: number;
    };

/** Fits the cross-fitted head for a job (run on the binning queue, before the class tasks). */
export interface HeadTask {
  kind: "head";
  /** Global labels (data-set classes) of all N items. */
  labelsKey: string;
  /** Global indices of the items to fit on (readable ones), ascending. */
  itemsKey: string;
  classes: number;
  shards: ShardRef[];
  folds: number;
  epochs: number;
  l2: number;
  seed: number;
  reason: string;
  out: string;
}

export interface BinningTask {
  classIndex: number;
  /** Key of the int32 .npy of global indices of the class's valid items. */
  membersKey: string;
  shards: ShardRef[];
  bins: number;
  lambda: number;
  embedding: "gradient" | "features";
  /** Model logit of this class (classes match; default classIndex). */
  logitClass?: number;
  /** Prefix of a fitted head's held-out logits (one [N, classes] array); replaces the model's logits. */
  headPrefix?: string;
  out: string;
}

export interface BinningResult {
  /** Key of `{ bins: number[][] }` (global indices, pick order). */
  key: string;
  sizes: number[];
}

export interface ScoringTask {
  classIndex: number;
  bin: number;
  binsKey: string;
  shards: ShardRef[];
  diversity: DiversityMethod;
  tau: number;
  seed: number;
  out: string;
}

export interface ScoringResult {
  rs: number;
  ds: number;
}

export interface SamplingTask {
  classIndex: number;
  method: Method;
  /** Items to keep from this class (from the class-level rule). */
  budget: number;
  /** For bin methods: the class's bins; for random: the class members. */
  binsKey?: string;
  membersKey: string;
  /** Per-bin RS and DS (ADQ only). */
  scores?: ScoringResult[];
  alpha: number;
  rsWeight: number;
  dsWeight: number;
  /** Allocation strength s (default 0.2). */
  strength?: number;
  /** CCS: the cross-fitted head whose held-out p gives each item's difficulty ‖p − y‖₂ (EL2N). */
  headPrefix?: string;
  ccsBeta?: number;
  ccsStrata?: number;
  /**
   * Bin methods on held-out difficulty (EL2N of the head at headPrefix), each present only when
   * > 0 so the paper's runs keep their content keys: the hardest share of the class removed from
   * its bins before the allocation, and difficulty strata for the draws inside a bin.
   */
  adqBeta?: number;
  adqStrata?: number;
  seed: number;
  drop: number;
  patchGrid: number;
  shards: ShardRef[];
  out: string;
}

export interface SamplingResult {
  key: string;
  selected: number;
}

/** What a sampling task writes at `key`. */
export interface ClassSelection {
  classIndex: number;
  /** Selected global indices, ascending. */
  indices: number[];
  /** Bin of each selected item (-1 without bins). */
  bins: number[];
  /** Kept-patch masks (hex, p² bits) per selected item, when patches are dropped. */
  masks?: string[];
  binCounts?: number[];
  binSizes?: number[];
  /** CCS: items dropped by the hard cut-off, and per difficulty stratum its size and picks. */
  ccs?: { pruned: number; strataSizes: number[]; strataCounts: number[] };
  /** Bin methods on held-out difficulty: items cut off by the hard cut-off (adqBeta), in all and per bin. */
  adq?: { pruned: number; prunedPerBin: number[] };
  rsZ?: number[];
  dsZ?: number[];
  importance?: number[];
}
