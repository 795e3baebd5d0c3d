// @adq/cli/testing: what the suites under test/ (and bench/) need beyond the public entry point —
// internals they check directly. Not for production code (scripts/check-layers.mjs keeps test/ and
// bench/ on the exports; nothing outside tests imports this).
export { defaultModelFor } from "./default-model.ts";
export { INSTALL_TORCH } from "./eval.ts";
export { checkOutputTarget, prepareStaging, publishStaging } from "./output-dir.ts";
export { paramsFromFlags, protoParamsFromFlags, unusedFlagWarnings } from "./param-flags.ts";
