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
 * The feature network behind the contract of DESIGN.md ("Models"): input `images`
 * float32 [N,3,S,S] normalised per channel with the mean/std in the model's metadata;
 * outputs `embedding`, `logits`, optional `feature_map` and `pooled`. `load` checks the
 * contract up front so a wrong model fails with a message naming the file and the part
 * that is wrong, before any data is read.
 */
export class FeatureModel {
  private constructor(
    readonly file: string,
    private readonly session: ort.InferenceSession,
    readonly inputSize: number,
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

  static async load(file: string, cfg: SessionConfig = {}): Promise<FeatureModel> {
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
    if (!session.inputNames.includes("images")) {
      throw new ModelContractError(
        file,
        `input "images" is missing (inputs: ${session.inputNames.join(", ")})`,
      );
    }
    for (const name of ["embedding", "logits"]) {
      if (!session.outputNames.includes(name)) {
        throw new ModelContractError(
          file,
          `output "${name}" is missing (outputs: ${session.outputNames.join(", ")})`,
        );
      }
    }
    const size = Number(meta["adq.input.size"] ?? "32");
    if (!Number.isInteger(size) || size < 8)
      throw new ModelContractError(file, `metadata adq.input.size is invalid`);
    const mean = parseFloatList(file, "adq.normalize.mean", meta["adq.normalize.mean"], 3);
    const std = parseFloatList(file, "adq.normalize.std", meta["adq.normalize.std"], 3);
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
    const model = new FeatureModel(file, session, size, mean, std, classNames, head, {
      embedding: 0,
      classes: 0,
      pooled: 0,
      featureMap: null,
    });
    // Probe once with a single black image: the only reliable way to learn output widths.
    const probe = await model.run(new Float32Array(3 * size * size), 1);
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

  /** Runs a batch. `images` is [n,3,S,S] already normalised. */
  async run(images: Float32Array, n: number): Promise<FeatureOutputs> {
    const s = this.inputSize;
    const input = new ort.Tensor("float32", images, [n, 3, s, s]);
    const res = await this.session.run({ images: input });
    const out: FeatureOutputs = {
      n,
      embedding: res.embedding!.data as Float32Array,
      logits: res.logits!.data as Float32Array,
    };
    if (res.feature_map) {
      out.featureMap = res.feature_map.data as Float32Array;
      this.lastFeatureMapDims = res.feature_map.dims;
    }
    if (res.pooled) out.pooled = res.pooled.data as Float32Array;
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
