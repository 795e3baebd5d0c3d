// @adq/service-common: proto loading, auth, errors, logs, health, server plumbing, client, and
// the resolution of request paths under the data/model roots (gateway and stage RPCs both need it).
export { ApiKeyAuthenticator, DEFAULT_UPLOAD_QUOTAS, type Tenant } from "./auth.ts";
export { CompressionClient, errorDetailsOf } from "./client.ts";
export { downloadResultFiles } from "./download.ts";
export {
  failedPrecondition,
  fromErrorInfo,
  invalidArgument,
  isBackendUnavailable,
  notFound,
  permissionDenied,
  quotaExceeded,
  RpcError,
  unimplemented,
} from "./errors.ts";
export { DataGrants, grantTasks } from "./grants.ts";
export { HealthService } from "./health.ts";
export { type FaultInjection, faultsFromEnv, InstrumentedBus, taskMetrics } from "./instrument.ts";
export { Logger, parseLogLevel } from "./log.ts";
export {
  Counter,
  Gauge,
  type MetricsServer,
  processMetrics,
  Registry,
  startMetricsServer,
} from "./metrics.ts";
export { compressionServiceDefinition, healthClientConstructor, LOADER_OPTIONS } from "./proto.ts";
export { addReflection } from "./reflection.ts";
export {
  formatName,
  type ModelConfig,
  maeModel,
  resolveDataset,
  resolveGrantedDataset,
  resolveModel,
  resolveRoots,
} from "./resolve.ts";
export {
  bindServer,
  type CallContext,
  clientStreamHandler,
  closeOnce,
  type HandlerOptions,
  newServer,
  serverStreamHandler,
  shutdownServer,
  unaryHandler,
} from "./server.ts";
export {
  type ClientSecurity,
  clientSecurity,
  clientTlsFromEnv,
  type ServerSecurity,
  serverSecurity,
  TlsConfigError,
} from "./tls.ts";
