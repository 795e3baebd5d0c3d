// The public gateway (adq.v1.CompressionService) and the job runner, over the platform ports.

export * from "./metrics.ts";
export * from "./records.ts";
export * from "./runner.ts";
export * from "./service.ts";
export * from "./signed-store.ts";
export * from "./start.ts";
// The ustar reader/writer: the Reconstruct stage RPC (cluster) returns its PNGs as a tar.
export { readTar, type TarEntry, TarError, type TarLimits, writeTar } from "./tar.ts";
