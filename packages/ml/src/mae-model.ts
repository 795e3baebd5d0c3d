import { readFile } from "node:fs/promises";
import * as ort from "onnxruntime-node";
import { ModelContractError, type SessionConfig } from "./model-contract.ts";
import { readOnnxMetadata } from "./onnx-metadata.ts";
import { createSession } from "./session.ts";

/**
 * The MAE behind its contract (models/README.md, "MAE contract"): inputs `images` float32 [N,3,S,S] in
 * [0,1] and `mask` float32 [N,g·g] (1 = patch dropped, row-major), output `reconstruction`
 * [N,3,S,S] in [0,1]. Grid g and patch size come from the model's metadata.
 */
export class MaeModel {
  private constructor(
    readonly file: string,
    private readonly session: ort.InferenceSession,
    readonly inputSize: number,
    readonly grid: number,
  ) {}

  static async load(file: string, cfg: SessionConfig = {}): Promise<MaeModel> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      throw new ModelContractError(file, `cannot read MAE model (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    let meta: Record<string, string>;
    try {
      meta = readOnnxMetadata(bytes);
    } catch (e) {
      throw new ModelContractError(file, `not a valid ONNX model (${(e as Error).message})`);
    }
    const session = await createSession(bytes, cfg).catch((e: Error) => {
      throw new ModelContractError(file, `ONNX Runtime cannot load it: ${e.message.split("\n")[0]}`);
    });
    for (const name of ["images", "mask"]) {
      if (!session.inputNames.includes(name))
        throw new ModelContractError(file, `MAE input "${name}" is missing`);
    }
    if (!session.outputNames.includes("reconstruction"))
      throw new ModelContractError(file, `MAE output "reconstruction" is missing`);
    const patch = Number(meta["adq.patch_size"] ?? "4");
    const grid = Number(meta["adq.grid"] ?? "8");
    if (!Number.isInteger(patch) || !Number.isInteger(grid) || patch < 1 || grid < 1) {
      throw new ModelContractError(file, "metadata adq.patch_size / adq.grid must be positive integers");
    }
    return new MaeModel(file, session, patch * grid, grid);
  }

  /** Reconstructs a batch: `images` [n,3,S,S] in [0,1] (dropped patches any value), `mask` [n,g²]. */
  async run(images: Float32Array, mask: Float32Array, n: number): Promise<Float32Array> {
    const S = this.inputSize;
    const res = await this.session.run({
      images: new ort.Tensor("float32", images, [n, 3, S, S]),
      mask: new ort.Tensor("float32", mask, [n, this.grid * this.grid]),
    });
    return res.reconstruction!.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
