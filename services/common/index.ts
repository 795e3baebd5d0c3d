// @adq/service-common: proto loading, auth, errors, logs, health, server plumbing, client, and
// the resolution of request paths under the data/model roots (gateway and stage RPCs both need it).
export * from "./auth.ts";
export * from "./auth-throttle.ts";
export * from "./client.ts";
export * from "./download.ts";
export * from "./errors.ts";
export * from "./health.ts";
export * from "./instrument.ts";
export * from "./log.ts";
export * from "./metrics.ts";
export * from "./proto.ts";
export * from "./reflection.ts";
export * from "./resolve.ts";
export * from "./server.ts";
export * from "./status-details.ts";
export * from "./tls.ts";
export type * from "./types.ts";
