import type { StoreCodec } from "./pq-store.ts";
import type { GradientSource, ModelSpec, PatchScoreSource } from "./tasks.ts";

/**
 * The shapes of the files `adq compress` writes (and the service returns). They are the
 * product's public output format: change them only with a version bump.
 * Nothing time- or host-dependent goes in here, so two runs with the same inputs and seed
 * produce byte-identical files.
 */

import type { Method } from "./methods.ts";
import type { CompressParams, ManifestParams } from "./params.ts";

/** Every job parameter: derived from the parameter table (params.ts), documented there. */
export type { CompressParams, Method };
export type DiversityMethod = CompressParams["diversity"];

export interface BinRecord {
  class: number;
  className: string;
  bin: number;
  size: number;
  /** Representativeness (texture level), raw. */
  rs: number | null;
  /** Diversity, raw. */
  ds: number | null;
  rsZ: number | null;
  dsZ: number | null;
  /** Importance IS = w_rs·RS^ + w_ds·DS^. */
  importance: number | null;
  allocated: number;
}

export interface BinsFile {
  version: 1;
  method: Method;
  /** Parameters off by default since a later version (adqBeta, adqStrata) appear only when set. */
  params: ManifestParams;
  classes: string[];
  bins: BinRecord[];
}

export interface ManifestItem {
  /** Stable item id: ImageFolder `class/file`, CIFAR binary `file#index`. */
  id: string;
  /** Index in the data set's stable order. */
  index: number;
  label: number;
  /** Bin within its class (-1 for methods without bins). */
  bin: number;
  /** Kept-patch mask as a hex string of p×p bits, row-major (absent when nothing dropped). */
  mask?: string;
}

export interface StoreSummary {
  /** File holding kept patches + masks, relative to the output folder. */
  file: string;
  bytes: number;
  /** Raw RGB bytes of the selected images (H·W·3 each). */
  subsetRawBytes: number;
  /** Bytes of the selected images' source files as stored in the data set. */
  subsetSourceBytes: number;
  patchGrid: number;
  drop: number;
  /** Store format version (absent: 1) and its codec (pq-store.ts). */
  format?: number;
  codec?: StoreCodec;
  /** WebP quality of the lossy codec (0 for the exact ones). */
  quality?: number;
  /** The lossy codec's images that were coded lossless because that was smaller (exact pixels). */
  losslessImages?: number;
  /** How patches were ranked for dropping (absent when nothing was dropped, and in older manifests). */
  patchScores?: PatchScoreSource;
}

export interface Manifest {
  version: 1;
  tool: { name: "adq"; version: string };
  method: Method;
  /** Parameters off by default since a later version (adqBeta, adqStrata) appear only when set. */
  params: ManifestParams;
  dataset: { path: string; format: string; size: number; classes: string[]; fingerprint: string };
  /** outputs: the graph names given for a model that does not use the contract's. */
  model: ModelSpec | null;
  /**
   * Where p in the gradient embeddings p − y came from: the model's own logits (its classes are
   * the data set's) or a cross-fitted head over the data set's classes. Null for methods
   * without bins; absent in manifests of older versions.
   */
  gradient?: GradientSource | null;
  /**
   * METHOD ccs: the difficulty score (EL2N ‖p − y‖₂ of the held-out p in `gradient`), β, the
   * strata count, and per class the items cut off and each stratum's size and picks.
   */
  ccs?: {
    score: "el2n-held-out";
    beta: number;
    strata: number;
    classes: Array<{ pruned: number; strataSizes: number[]; strataCounts: number[] }>;
  };
  /**
   * Bin methods on held-out difficulty (present only when adqBeta or adqStrata > 0): EL2N of the
   * cross-fitted head's held-out p, the head itself when it is not `gradient` (the model's own
   * logits gave p − y), β, the strata per bin (0: uniform draws) and per class the items cut
   * off, in all and per bin.
   */
  adq?: {
    score: "el2n-held-out";
    beta: number;
    strata: number;
    head?: GradientSource;
    classes: Array<{ pruned: number; prunedPerBin: number[] }>;
  };
  total: number;
  selected: number;
  /** Per-class counts selected (ρ·N rule: see README). */
  perClass: number[];
  items: ManifestItem[];
  skipped: Array<{ id: string; reason: string }>;
  store: StoreSummary | null;
}
