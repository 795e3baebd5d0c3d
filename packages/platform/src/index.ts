// @adq/platform — the ports every stage and service depends on, and their embedded adapters.
export { asIoError, ConflictError, errnoOf, InvalidArgumentError, IoError, NotFoundError } from "./errors.ts";
export { FsArtifactStore } from "./fs-artifact-store.ts";
export { guardTasks } from "./guarded-bus.ts";
export { assertValidKey } from "./keys.ts";
export { LocalBus } from "./local-bus.ts";
export { MemoryJobStore } from "./memory-job-store.ts";
export { decodeNpy, encodeNpy, type NpyArray, type NpyTensor } from "./npy.ts";
export {
  type ArtifactStore,
  type Bus,
  type ConsumeOptions,
  type JobStore,
  PermanentTaskError,
  type Subscription,
  type TaskHandler,
  type TaskMessage,
  type TaskOutcome,
  type Versioned,
} from "./ports.ts";
export { PrefixedArtifactStore } from "./prefixed-store.ts";
export {
  StagedArtifactStore,
  type StagedArtifactStoreOptions,
  type StreamingPut,
  sealArtifacts,
} from "./staged-store.ts";
