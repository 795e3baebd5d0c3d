// The public gateway (adq.v1.CompressionService) and the job runner, over the platform ports.

export * from "./metrics.ts";
export * from "./records.ts";
export * from "./runner.ts";
export * from "./service.ts";
export * from "./signed-store.ts";
export * from "./start.ts";
