// @adq/service-common/testing: what the suites under test/ (and bench/) need beyond the public entry point —
// internals they check directly. Not for production code (scripts/check-layers.mjs keeps test/ and
// bench/ on the exports; nothing outside tests imports this).

export { hashApiKey } from "./auth.ts";
export { AuthThrottle, peerAddress } from "./auth-throttle.ts";
export { checkHealth } from "./client.ts";
export { toRpcError, toServiceError, unauthenticated } from "./errors.ts";
export { MemorySink, silentLogger } from "./log.ts";
export { reflectionClientConstructor } from "./reflection.ts";
export { MAX_STRING_FIELD } from "./server.ts";
export {
  decodeStatus,
  encodeStatus,
  errorDetailsFromStatus,
  STATUS_DETAILS_TRAILER,
} from "./status-details.ts";
export type { ClientTlsOptions } from "./tls.ts";
