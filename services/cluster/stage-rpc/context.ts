/**
 * What a stage RPC runs against: the caller's view of the artifact store (confined to the
 * tenant's namespace when the stage process authenticates callers), the data and model
 * roots it may read, the ONNX sessions it shares with its NATS worker, and the call's
 * abort signal.
 */
import { MaeModel, type SessionConfig } from "#ml";
import type { ArtifactStore } from "#platform";
import type { ModelCache } from "#stages";
import type { ModelConfig } from "../../gateway/resolve.ts";

export interface StageRpcEnv {
  /** Real paths of the roots datasets (`file://` URIs) must lie under. Empty: no dataset RPCs. */
  dataRoots: string[];
  /** Feature models: server default, `builtin://` names, `file://` roots. */
  models: ModelConfig;
  /** MAEs for Reconstruct, same rules (`defaultModel` is the default MAE). */
  maes: ModelConfig;
  modelCache: ModelCache;
  maeCache: MaeCache;
  /** Texture patch side L when a request leaves it 0. */
  defaultTextureL: number;
}

export interface StageRpcContext {
  store: ArtifactStore;
  env: StageRpcEnv;
  signal: AbortSignal;
}

/** One MAE session per file per process (like ModelCache for feature models). */
export class MaeCache {
  private readonly maes = new Map<string, Promise<MaeModel>>();

  constructor(private readonly config: SessionConfig = {}) {}

  get(file: string, sha256: string): Promise<MaeModel> {
    const key = `${sha256}:${file}`;
    let m = this.maes.get(key);
    if (!m) {
      m = MaeModel.load(file, this.config);
      m.catch(() => this.maes.delete(key));
      this.maes.set(key, m);
    }
    return m;
  }

  async close(): Promise<void> {
    for (const m of this.maes.values()) await (await m.catch(() => undefined))?.release();
    this.maes.clear();
  }
}
