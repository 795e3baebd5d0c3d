// @adq/controller/testing: what the suites under test/ (and bench/) need beyond the public entry point —
// internals they check directly. Not for production code (scripts/check-layers.mjs keeps test/ and
// bench/ on the exports; nothing outside tests imports this).
export { paramsSchema, withGeneratedParams } from "./crd.ts";
export { createRequest } from "./mapping.ts";
export type { CompressionJob } from "./resource.ts";
