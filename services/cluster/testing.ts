// @adq/cluster/testing: what the suites under test/ (and bench/) need beyond the public entry point —
// internals they check directly. Not for production code (scripts/check-layers.mjs keeps test/ and
// bench/ on the exports; nothing outside tests imports this).
export type { StageServiceDeps } from "./stage-services.ts";
export { confineTaskPaths, realPaths } from "./task-paths.ts";
