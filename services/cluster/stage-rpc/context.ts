/**
 * What a stage RPC runs against: the caller's view of the artifact store (confined to the
 * tenant's namespace when the stage process authenticates callers), the data and model
 * roots it may read, the ONNX sessions it shares with its NATS worker, and the call's
 * abort signal.
 */
import type { ArtifactStore } from "@adq/platform";
import type { ModelConfig } from "@adq/service-common";
import type { ModelCache } from "@adq/stages";

export interface StageRpcEnv {
  /** Real paths of the roots datasets (`file://` URIs) must lie under. Empty: no dataset RPCs. */
  dataRoots: string[];
  /** Feature models: server default, `builtin://` names, `file://` roots. */
  models: ModelConfig;
  /** MAEs for Reconstruct, same rules (`defaultModel` is the default MAE). */
  maes: ModelConfig;
  /** ONNX sessions (feature models and MAEs), shared with the process's NATS worker. */
  modelCache: ModelCache;
  /** Texture patch side L when a request leaves it 0. */
  defaultTextureL: number;
}

export interface StageRpcContext {
  store: ArtifactStore;
  env: StageRpcEnv;
  signal: AbortSignal;
}
