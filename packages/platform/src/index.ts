// @adq/platform — the ports every stage and service depends on, and their embedded adapters.
export * from "./errors.ts";
export { FsArtifactStore } from "./fs-artifact-store.ts";
export { assertValidKey } from "./keys.ts";
export { LocalBus } from "./local-bus.ts";
export { MemoryJobStore } from "./memory-job-store.ts";
export { decodeNpy, encodeNpy, type NpyArray, type NpyTensor } from "./npy.ts";
export * from "./ports.ts";
export { PrefixedArtifactStore } from "./prefixed-store.ts";
