import { readFile } from "node:fs/promises";
import * as ort from "onnxruntime-node";
import { ModelContractError, parseFloatList, type SessionConfig } from "./model-contract.ts";
import { readOnnxMetadata } from "./onnx-metadata.ts";
import { createSession } from "./session.ts";

export interface FeatureOutputs {
  n: number;
  /** [n, D] penultimate representation. */
  embedding: Float32Array;
  /** [n, C]. */
  logits: Float32Array;
  /** [n, K, h, w] last conv map, when the model has one (CAM). */
  featureMap?: Float32Array;
  /** [n, P] pooled intermediate features, when the model has them (discriminator input). */
  pooled?: Float32Array;
}

export interface ClassifierHead {
  /** [C, K] row-major. */
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * Graph names of a feature model's input and outputs, for models that do not use the contract's
 * names (`adq compress --model-input/--model-embedding-output/...`). Unset: the contract's
 * `images`, `embedding`, `logits`, `feature_map`, `pooled`.
 */
export interface FeatureModelNames {
  input?: string;
  embedding?: string;
  logits?: string;
  featureMap?: string;
  pooled?: string;
}

const DEFAULT_NAMES: Required<FeatureModelNames> = {
  input: "images",
  embedding: "embedding",
  logits: "logits",
  featureMap: "feature_map",
  pooled: "pooled",
};
const FLAG: Record<keyof FeatureModelNames, string> = {
  input: "--model-input",
  embedding: "--model-embedding-output",
  logits: "--model-logits-output",
  featureMap: "--model-feature-map-output",
  pooled: "--model-pooled-output",
};

function describeValue(m: import("onnxruntime-node").InferenceSession.ValueMetadata | undefined): {
  type?: string;
  shape?: ReadonlyArray<number | string>;
} {
  if (!m?.isTensor) return {};
  return { type: m.type, shape: m.shape };
}

export interface FeatureModelOptions {
  /**
   * Run at this side instead of the model's `adq.input.size`: only for a model whose input side
   * is symbolic and that declares `adq.input.size_multiple` (a multiple of it; e.g.
   * EfficientNet-Lite0, whose TF "same" pads are constant for multiples of 32).
   */
  inputSize?: number;
}

/**
 * `adq.input.size_multiple` of a model whose spatial input dims are symbolic, else null. A
 * multiple on a model with a static side is a contract error (it cannot run at other sides).
 */
function sizeMultiple(
  file: string,
  meta: Record<string, string>,
  inShape: ReadonlyArray<number | string>,
): number | null {
  const v = meta["adq.input.size_multiple"];
  if (v === undefined) return null;
  const m = Number(v);
  if (!/^[0-9]+$/.test(v) || m < 1)
    throw new ModelContractError(
      file,
      `metadata adq.input.size_multiple must be a positive integer, got ${JSON.stringify(v)}`,
    );
  if (typeof inShape[2] === "number" || typeof inShape[3] === "number")
    throw new ModelContractError(
      file,
      `metadata adq.input.size_multiple is set but the input's side is static [${inShape.join(",")}]`,
    );
  return m;
}

/**
 * The feature network behind the contract in models/README.md ("Feature model contract"): input `images`
 * float32 [N,3,S,S] normalised per channel with the mean/std in the model's metadata;
 * outputs `embedding`, `logits`, optional `feature_map` and `pooled`. `load` checks the
 * contract up front so a wrong model fails with a message naming the file and the part
 * that is wrong, before any data is read.
 */
export class FeatureModel {
  private constructor(
    readonly file: string,
    private readonly session: ort.InferenceSession,
    /** The side it runs at (the load option, else `defaultSize`). */
    readonly inputSize: number,
    /** Its `adq.input.size` (or static side): the side it was trained and exported at. */
    readonly defaultSize: number,
    /** Other sides it can run at are multiples of this (`adq.input.size_multiple`); null: `defaultSize` only. */
    readonly sizeMultiple: number | null,
    readonly mean: number[],
    readonly std: number[],
    readonly classNames: string[] | undefined,
    readonly head: ClassifierHead | undefined,
    readonly dims: {
      embedding: number;
      classes: number;
      pooled: number;
      featureMap: [number, number, number] | null;
    },
  ) {}

  /** Graph names in use (the contract's, or the ones given to load). */
  names: Required<FeatureModelNames> = { ...DEFAULT_NAMES };

  /**
   * Loads and checks a model. Bring-your-own models: outputs may be renamed with `names`; the
   * feature map and pooled outputs are optional (without a feature map, patch dropping ranks
   * patches by texture instead of CAM); without `adq.input.size` the input's static spatial
   * size is used; without `adq.normalize.*` ImageNet's mean/std are assumed (models/README.md).
   */
  static async load(
    file: string,
    cfg: SessionConfig = {},
    given: FeatureModelNames = {},
    opts: FeatureModelOptions = {},
  ): Promise<FeatureModel> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      throw new ModelContractError(file, `cannot read model (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    let meta: Record<string, string>;
    try {
      meta = readOnnxMetadata(bytes);
    } catch (e) {
      throw new ModelContractError(file, `not a valid ONNX model (${(e as Error).message})`);
    }
    let session: ort.InferenceSession;
    try {
      session = await createSession(bytes, cfg);
    } catch (e) {
      throw new ModelContractError(
        file,
        `ONNX Runtime cannot load it: ${(e as Error).message.split("\n")[0]}`,
      );
    }
    const names: Required<FeatureModelNames> = { ...DEFAULT_NAMES };
    for (const k of Object.keys(given) as Array<keyof FeatureModelNames>) {
      const v = given[k];
      if (v !== undefined) {
        if (v.trim() === "") throw new ModelContractError(file, `${FLAG[k]} must name a graph value, got ""`);
        names[k] = v;
      }
    }
    const inputs = session.inputNames.join(", ");
    const outputs = session.outputNames.join(", ");
    if (!session.inputNames.includes(names.input)) {
      throw new ModelContractError(
        file,
        `input "${names.input}" is missing (inputs: ${inputs}; name another with ${FLAG.input})`,
      );
    }
    for (const k of ["embedding", "logits"] as const) {
      if (!session.outputNames.includes(names[k])) {
        throw new ModelContractError(
          file,
          `output "${names[k]}" is missing (outputs: ${outputs}; name the ${k} output with ${FLAG[k]})`,
        );
      }
    }
    for (const k of ["featureMap", "pooled"] as const) {
      // Optional outputs: absent under their default name is fine, absent under a given one is not.
      if (given[k] !== undefined && !session.outputNames.includes(names[k]))
        throw new ModelContractError(
          file,
          `output "${names[k]}" (${FLAG[k]}) is missing (outputs: ${outputs})`,
        );
    }
    const meta0 = (list: typeof session.inputMetadata, name: string) =>
      describeValue(list.find((m) => m.name === name));
    const inMeta = meta0(session.inputMetadata, names.input);
    if (inMeta.type !== undefined && inMeta.type !== "float32")
      throw new ModelContractError(
        file,
        `input "${names.input}" is ${inMeta.type}; it must be float32 [N,3,S,S]`,
      );
    const inShape = inMeta.shape ?? [];
    if (inShape.length > 0 && (inShape.length !== 4 || (typeof inShape[1] === "number" && inShape[1] !== 3)))
      throw new ModelContractError(
        file,
        `input "${names.input}" has shape [${inShape.join(",")}]; it must be [N,3,S,S] (RGB, channels first)`,
      );
    for (const k of ["embedding", "logits", "featureMap", "pooled"] as const) {
      const m = meta0(session.outputMetadata, names[k]);
      if (m.type !== undefined && m.type !== "float32")
        throw new ModelContractError(file, `output "${names[k]}" is ${m.type}; it must be float32`);
    }
    const staticSize =
      typeof inShape[2] === "number" && inShape[2] > 0 && inShape[2] === inShape[3] ? inShape[2] : undefined;
    if (typeof inShape[2] === "number" && typeof inShape[3] === "number" && inShape[2] !== inShape[3])
      throw new ModelContractError(
        file,
        `input "${names.input}" is ${inShape[2]}x${inShape[3]}; square inputs only`,
      );
    const defaultSize = Number(meta["adq.input.size"] ?? staticSize ?? "32");
    if (!Number.isInteger(defaultSize) || defaultSize < 8)
      throw new ModelContractError(file, `metadata adq.input.size is invalid`);
    if (staticSize !== undefined && staticSize !== defaultSize)
      throw new ModelContractError(
        file,
        `metadata adq.input.size ${defaultSize} disagrees with the input's static size ${staticSize}`,
      );
    const multiple = sizeMultiple(file, meta, inShape);
    const size = opts.inputSize ?? defaultSize;
    if (opts.inputSize !== undefined && opts.inputSize !== defaultSize) {
      if (multiple === null)
        throw new ModelContractError(
          file,
          `runs at ${defaultSize}×${defaultSize} only (no adq.input.size_multiple with a symbolic input side); input size ${opts.inputSize} is not possible`,
        );
      if (!Number.isInteger(size) || size < multiple || size % multiple !== 0)
        throw new ModelContractError(
          file,
          `input size ${opts.inputSize} is not a positive multiple of ${multiple} (adq.input.size_multiple)`,
        );
    }
    // A model without adq.* metadata (bring your own): ImageNet statistics, documented.
    const noNorm = meta["adq.normalize.mean"] === undefined && meta["adq.normalize.std"] === undefined;
    const mean = noNorm
      ? [0.485, 0.456, 0.406]
      : parseFloatList(file, "adq.normalize.mean", meta["adq.normalize.mean"], 3);
    const std = noNorm
      ? [0.229, 0.224, 0.225]
      : parseFloatList(file, "adq.normalize.std", meta["adq.normalize.std"], 3);
    if (std.some((s) => s <= 0))
      throw new ModelContractError(file, "metadata adq.normalize.std must be positive");
    let classNames: string[] | undefined;
    if (meta["adq.class_names"]) {
      try {
        classNames = JSON.parse(meta["adq.class_names"]) as string[];
      } catch {
        throw new ModelContractError(file, "metadata adq.class_names is not a JSON array");
      }
    }
    const head = await loadHead(file);
    const model = new FeatureModel(file, session, size, defaultSize, multiple, mean, std, classNames, head, {
      embedding: 0,
      classes: 0,
      pooled: 0,
      featureMap: null,
    });
    model.names = names;
    // Probe once with a single black image: the only reliable way to learn output widths.
    let probe: FeatureOutputs;
    try {
      probe = await model.run(new Float32Array(3 * size * size), 1);
    } catch (e) {
      throw new ModelContractError(
        file,
        `a [1,3,${size},${size}] input does not run: ${(e as Error).message.split("\n")[0]}`,
      );
    }
    const rank = (k: "embedding" | "logits" | "featureMap", want: number) => {
      const dims = model.lastDims[k];
      if (dims && (dims.length !== want || dims[0] !== 1))
        throw new ModelContractError(
          file,
          `output "${names[k]}" has shape [${dims.join(",")}] for one image; it must be ${want === 2 ? "[N,D]" : "[N,K,h,w]"}`,
        );
    };
    rank("embedding", 2);
    rank("logits", 2);
    rank("featureMap", 4);
    if (probe.logits.length < 2)
      throw new ModelContractError(
        file,
        `output "${names.logits}" has ${probe.logits.length} class; at least 2 are needed`,
      );
    model.dims.embedding = probe.embedding.length;
    model.dims.classes = probe.logits.length;
    model.dims.pooled = probe.pooled?.length ?? 0;
    if (probe.featureMap) {
      const t = model.lastFeatureMapDims;
      model.dims.featureMap = [t[1]!, t[2]!, t[3]!];
    }
    if (
      head &&
      (head.weight.length !== model.dims.classes * model.dims.embedding ||
        head.bias.length !== model.dims.classes)
    ) {
      throw new ModelContractError(
        file,
        `classifier head sidecar does not match ${model.dims.classes}x${model.dims.embedding}`,
      );
    }
    return model;
  }

  private lastFeatureMapDims: readonly number[] = [];
  private lastDims: Partial<Record<"embedding" | "logits" | "featureMap", readonly number[]>> = {};

  /**
   * Runs a batch. `images` is [n,3,S,S] already normalised. ONNX Runtime sees it in calls of at
   * most RUN_PIXELS input pixels (runBatch images); the outputs are concatenated.
   */
  async run(images: Float32Array, n: number): Promise<FeatureOutputs> {
    const per = runBatch(this.inputSize);
    if (n <= per) return this.runOnce(images, n);
    const len = 3 * this.inputSize * this.inputSize;
    const parts: FeatureOutputs[] = [];
    for (let j = 0; j < n; j += per) {
      const m = Math.min(per, n - j);
      parts.push(await this.runOnce(images.subarray(j * len, (j + m) * len), m));
    }
    const cat = (k: "embedding" | "logits" | "featureMap" | "pooled"): Float32Array | undefined => {
      if (!parts[0]![k]) return undefined;
      const out = new Float32Array(parts.reduce((s, p) => s + p[k]!.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p[k]!, o);
        o += p[k]!.length;
      }
      return out;
    };
    const out: FeatureOutputs = { n, embedding: cat("embedding")!, logits: cat("logits")! };
    const fm = cat("featureMap");
    if (fm) out.featureMap = fm;
    const pooled = cat("pooled");
    if (pooled) out.pooled = pooled;
    return out;
  }

  private async runOnce(images: Float32Array, n: number): Promise<FeatureOutputs> {
    const s = this.inputSize;
    const input = new ort.Tensor("float32", images, [n, 3, s, s]);
    const nm = this.names;
    const res = await this.session.run({ [nm.input]: input });
    const emb = res[nm.embedding]!;
    const lg = res[nm.logits]!;
    const out: FeatureOutputs = {
      n,
      embedding: emb.data as Float32Array,
      logits: lg.data as Float32Array,
    };
    this.lastDims = { embedding: emb.dims, logits: lg.dims };
    const fm = res[nm.featureMap];
    if (fm) {
      out.featureMap = fm.data as Float32Array;
      this.lastFeatureMapDims = fm.dims;
      this.lastDims.featureMap = fm.dims;
    }
    const pooled = res[nm.pooled];
    if (pooled) out.pooled = pooled.data as Float32Array;
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The linear head for CAM ships as `<model>.head.json` beside the .onnx ({weight: C×K, bias: C}). */
async function loadHead(file: string): Promise<ClassifierHead | undefined> {
  const sidecar = `${file.replace(/\.onnx$/i, "")}.head.json`;
  let text: string;
  try {
    text = await readFile(sidecar, "utf8");
  } catch {
    return undefined;
  }
  try {
    const j = JSON.parse(text) as { weight: number[][]; bias: number[] };
    return { weight: Float32Array.from(j.weight.flat()), bias: Float32Array.from(j.bias) };
  } catch {
    throw new ModelContractError(sidecar, "classifier head sidecar is not valid JSON {weight, bias}");
  }
}

/**
 * Input pixels per ONNX Runtime call (8 images at 128², 2 at 224², 128 at 32²). Small calls keep
 * a convolution's activations in the core's cache: EfficientNet-Lite0 costs ≈ 20% less CPU per
 * image at 128² in calls of 8 than of 64, ≈ 2× less at 224² in calls of 2 than of 20
 * (bench/RESULTS-fast-default.md). The outputs do not depend on how a batch is split — ONNX
 * Runtime's CPU kernels compute each image's values in the same order whatever the batch
 * (tested: test/models/input-size.test.ts) — so neither do the features, nor the selection.
 */
export const RUN_PIXELS = 8 * 128 * 128;

/** Images per ONNX Runtime call at input side `side`: RUN_PIXELS' worth, at least 1. */
export function runBatch(side: number): number {
  return Math.max(1, Math.floor(RUN_PIXELS / (side * side)));
}

/**
 * How many model pixels per image pixel are worth paying for: a model that can run at several
 * sides (`sizeMultiple`) runs small images at about this many times their side, not at its
 * full `defaultSize`. Upscaling a 32×32 image to 224 adds no information, only cost (ONNX
 * Runtime's time grows with the side squared); measured in bench/RESULTS-fast-default.md,
 * where 4× (CIFAR at 128) keeps the held-out difficulty signal and 3× and 2× lose part of it.
 */
export const SMALL_IMAGE_UPSCALE = 4;

/**
 * The side a model runs at for images whose longer side is `imageSide`: its `defaultSize`,
 * or for a model that declares `sizeMultiple`, the smallest multiple of it that is at least
 * SMALL_IMAGE_UPSCALE × `imageSide`, capped at `defaultSize` (CIFAR-10's 32×32 → 128,
 * MNIST's 28×28 → 128, EuroSAT's 64×64 → 224 with EfficientNet-Lite0). Pure; O(1).
 */
export function runSideFor(
  imageSide: number,
  model: { defaultSize: number; sizeMultiple: number | null },
): number {
  const m = model.sizeMultiple;
  if (m === null || !(imageSide > 0)) return model.defaultSize;
  const want = Math.ceil((SMALL_IMAGE_UPSCALE * imageSide) / m) * m;
  return Math.min(model.defaultSize, Math.max(m, want));
}
