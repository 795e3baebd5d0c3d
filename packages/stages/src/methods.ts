/**
 * The method table, beside the parameter table (params.ts): what each selection method needs
 * and which stages it runs, once. `planJob` turns a job's parameters (and, for the default
 * model, its data set) into the plan every surface follows: `adq compress`, the gateway
 * (model, stage list), the coordinator (which tasks to publish), the stage RPCs (method by
 * proto name), the sampling handler (which sampler) and the report. A new method is one row
 * here plus its proto enum value (and its sampler, if it brings a new one).
 */
import { CIFAR10_CLASSES, openDataset } from "@adq/ml";
import { InvalidArgumentError } from "@adq/platform";
import { matchClasses } from "./class-match.ts";
import type { CompressParams } from "./params.ts";

/** How a method picks a class's items: uniformly from the class, per GraphCut bin, per difficulty stratum. */
export type Sampler = "class" | "bins" | "strata";

/** The default feature model's role: the CIFAR-10 ResNet-20, or the general ImageNet backbone. */
export type ModelRole = "cifar" | "general";

export interface MethodSpec {
  /** Its value of the proto enum adq.v1.Method. */
  proto: string;
  /** Its name in the report, and its short form (the page title). */
  label: string;
  short: string;
  /** The work it implements, cited in the report's footer (empty: none). */
  citation: string;
  /** Reads the feature model's outputs even without patch dropping (bins' embeddings, CCS's difficulty). */
  features: boolean;
  /** Cuts each class into GraphCut bins (the binning stage; bins ≤ the smallest class). */
  bins: boolean;
  /** Scores every bin (RS, DS: the scoring stage) and allocates by importance; without, by bin size. */
  scores: boolean;
  /** The features stage draws augmented views (the contrastive DS reads them). */
  views: boolean;
  /**
   * Always fits the cross-fitted softmax head (CCS's held-out difficulty); the bin methods fit
   * it only when the model's classes are not the data set's (class-match.ts).
   */
  head: boolean;
  /**
   * Its default model must never have trained on the candidates, so it is the general
   * backbone whatever the data set (ccs, adq): the ResNet-20 separates CIFAR-10's training images almost
   * perfectly (cross-fitted head 97% right on them, EfficientNet's 74%), so its difficulty is
   * mostly noise (bench/quality/FINDINGS.md: CCS at 10% kept, 65.98% with it, 68.13% with EfficientNet).
   */
  heldOutModel: boolean;
  sampler: Sampler;
  /**
   * Its own defaults of parameters it reads, used wherever the user left them unset: every
   * surface fills parameters through params.ts `withDefaults` (`adq compress`, the gateway, so
   * `adq submit`, the CompressionJob controller and the cluster), so the same row gives the
   * same bytes everywhere. Absent: the parameter table's defaults.
   */
  defaults?: MethodParamValues;
  /** Parameters it pins: any other value is refused naming the parameter (params.ts CROSS_RULES), not ignored. */
  fixed?: MethodParamValues;
}

/** The parameters a method row may give its own default or pin (a key added here is one more a row can set). */
export interface MethodParamValues {
  adqBeta?: number;
  adqStrata?: number;
}

export const METHODS = {
  // ADQ's best variant as measured (issue 34; bench/quality/RESULTS.md and FINDINGS.md, CIFAR-10
  // at ρ = 10%, paired by seed): the paper's bins, scores and allocation on held-out signals —
  // heldOutModel makes the general backbone that never saw the candidates the default model, so
  // its cross-fitted head gives p − y and CAM — plus hard-example pruning (adqBeta 0.3) and 50
  // difficulty strata per bin (adqStrata). Against the paper's recipe (`adq-paper`: in-sample
  // ResNet-20, β 0, no strata) +1.62 ± 0.73 SE points (224 px, 5 seeds), +1.51 ± 1.00 SE (128 px,
  // 5 seeds); against random +0.68 ± 0.48 SE, not beyond 2 SE; below CCS (−0.56 ± 0.41 SE), so CCS
  // stays the default. `adq` is whichever ADQ measured best; `adq-paper` keeps the recipe.
  adq: {
    proto: "METHOD_ADQ",
    label: "ADQ (adaptive)",
    short: "ADQ",
    citation: "Li et al., “Adaptive Dataset Quantization”, AAAI 2025",
    features: true,
    bins: true,
    scores: true,
    views: true,
    head: false,
    heldOutModel: true,
    sampler: "bins",
    defaults: { adqBeta: 0.3, adqStrata: 50 },
  },
  // The paper's exact recipe, for reproduction (/work/shared/reference: Li et al. 2025): GraphCut
  // bins on the gradient embeddings, RS/DS importance, adaptive allocation, uniform draws in a
  // bin; the default model by the data set (the CIFAR-10 ResNet-20 on CIFAR-like data).
  "adq-paper": {
    proto: "METHOD_ADQ_PAPER",
    label: "ADQ (paper's recipe)",
    short: "ADQ-paper",
    citation: "Li et al., “Adaptive Dataset Quantization”, AAAI 2025",
    features: true,
    bins: true,
    scores: true,
    views: true,
    head: false,
    heldOutModel: false,
    sampler: "bins",
    fixed: { adqBeta: 0, adqStrata: 0 },
  },
  dq: {
    proto: "METHOD_DQ",
    label: "DQ (uniform)",
    short: "DQ",
    citation: "Zhou et al., “Dataset Quantization”, ICCV 2023",
    features: true,
    bins: true,
    scores: false,
    views: false,
    head: false,
    heldOutModel: false,
    sampler: "bins",
  },
  random: {
    proto: "METHOD_RANDOM",
    label: "Random",
    short: "Random",
    citation: "",
    features: false,
    bins: false,
    scores: false,
    views: false,
    head: false,
    heldOutModel: false,
    sampler: "class",
  },
  ccs: {
    proto: "METHOD_CCS",
    label: "CCS (coverage-centric)",
    short: "CCS",
    citation:
      "Zheng et al., “Coverage-centric Coreset Selection for High Pruning Rates”, ICLR 2023, on held-out difficulty",
    features: true,
    bins: false,
    scores: false,
    views: false,
    head: true,
    heldOutModel: true,
    sampler: "strata",
  },
} as const satisfies Record<string, MethodSpec>;

/** adq, adq-paper, dq (bins); random; ccs (coverage-centric coreset selection on held-out difficulty, core/ccs.ts). */
export type Method = keyof typeof METHODS;

/** Each method's proto enum name (the parameter table's `method` values). */
export const METHOD_PROTO_NAMES = Object.fromEntries(
  Object.entries(METHODS).map(([m, spec]) => [m, spec.proto]),
) as { [M in Method]: (typeof METHODS)[M]["proto"] };

/** The method of a proto enum name; the unset value is the default (common.proto: CCS). */
export function methodFromProto(name: string | undefined): Method | undefined {
  if (!name || name === "METHOD_UNSPECIFIED") return "ccs";
  return (Object.keys(METHODS) as Method[]).find((m) => METHODS[m].proto === name);
}

/** What the default-model rule reads of a data set: its classes and its first image's size. */
export interface DatasetShape {
  classes: readonly string[];
  size: number;
  /** Width × height of the first image (absent for an empty data set). */
  firstImage?: readonly [number, number];
}

/** The pipeline's stages (the coordinator's StageName), in order. */
export type PlanStage = "features" | "binning" | "scoring" | "sampling" | "assemble";

export interface JobPlan {
  method: Method;
  spec: MethodSpec;
  /** A feature model is needed: the method reads it, or CAM patch dropping does. */
  model: boolean;
  /** CAM patch masks (drop > 0). */
  cam: boolean;
  /**
   * The sampler reads each item's held-out difficulty (EL2N of the cross-fitted head): CCS always
   * (`head`), a bin method when adqBeta or adqStrata > 0. The head is then fitted whatever the
   * model (binning stage).
   */
  difficulty: boolean;
  /** Which stages run (binning also runs for CCS: it fits the head there). */
  stages: Record<PlanStage, boolean>;
  /** The default model's role and why (only when the data set's shape was given). */
  defaultModel?: { role: ModelRole; reason: string };
}

/**
 * The default feature model for a data set (models/README.md, "Default rule"): the CIFAR-10
 * ResNet-20 when the data set is CIFAR-like — its classes are CIFAR-10's (all or some, by name,
 * class-match.ts) and its first image is 32×32 —, else the general ImageNet backbone
 * (EfficientNet-Lite0). A method that needs a held-out model always gets the general one.
 * An explicit model (`--model`, a request's ModelRef) overrides the rule.
 */
export function defaultModelRole(spec: MethodSpec, shape: DatasetShape): { role: ModelRole; reason: string } {
  if (spec.heldOutModel)
    return {
      role: "general",
      reason: `${spec.label} needs difficulty from a model that never trained on these images`,
    };
  if (!matchClasses(shape.classes, CIFAR10_CLASSES, CIFAR10_CLASSES.length).match)
    return { role: "general", reason: "its classes are not CIFAR-10's" };
  const s = shape.firstImage;
  if (s && (s[0] !== 32 || s[1] !== 32))
    return { role: "general", reason: `CIFAR-10 classes but ${s[0]}×${s[1]} images, not 32×32` };
  return { role: "cifar", reason: s ? "CIFAR-10 classes, 32×32 images" : "CIFAR-10 classes" };
}

/** The job's plan: what runs and what it needs, from the method table and the parameters. */
export function planJob(
  params: Pick<CompressParams, "method" | "drop"> & Partial<Pick<CompressParams, "adqBeta" | "adqStrata">>,
  dataset?: DatasetShape,
): JobPlan {
  const spec: MethodSpec = METHODS[params.method];
  if (!spec)
    throw new InvalidArgumentError(
      "method",
      `must be one of ${Object.keys(METHODS).join(", ")}, got ${String(params.method)}`,
    );
  const cam = params.drop > 0;
  const model = spec.features || cam;
  const difficulty = spec.head || (spec.bins && ((params.adqBeta ?? 0) > 0 || (params.adqStrata ?? 0) > 0));
  return {
    method: params.method,
    spec,
    model,
    cam,
    difficulty,
    stages: {
      features: model,
      binning: spec.bins || spec.head,
      scoring: spec.scores,
      sampling: true,
      assemble: true,
    },
    ...(dataset && model ? { defaultModel: defaultModelRole(spec, dataset) } : {}),
  };
}

/** Reads a data set's shape for the default-model rule: its listing and one image. */
export async function readDatasetShape(path: string): Promise<DatasetShape> {
  const reader = await openDataset(path);
  const desc = await reader.describe();
  if (desc.size === 0) return { classes: desc.classes, size: 0 };
  let firstImage: [number, number] | undefined;
  for await (const b of reader.batches(1, { indices: [0] }))
    firstImage = [b.images[0]!.width, b.images[0]!.height];
  return { classes: desc.classes, size: desc.size, ...(firstImage ? { firstImage } : {}) };
}
