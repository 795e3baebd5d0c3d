// @adq/platform NATS JetStream adapters (cluster mode): Bus, JobStore, ArtifactStore.
export {
  assertToken,
  connectNats,
  ensureConsumer,
  ensureKv,
  ensureObjectStore,
  ensureStream,
  type NatsAuthOptions,
  type NatsConnection,
  type NatsConnectOptions,
  natsAuthConnectOptions,
  natsAuthFromEnv,
  redactUrl,
} from "./connection.ts";
export { KvJobStore, type KvJobStoreOptions } from "./kv-job-store.ts";
export { defaultLogger, type Logger, type LogLevel } from "./logger.ts";
export {
  type BusNames,
  busNames,
  type CloseOptions,
  type EventSubscribeOptions,
  NatsBus,
  type NatsBusOptions,
  type NatsSubscription,
  type OutcomeListenOptions,
} from "./nats-bus.ts";
export { ObjectArtifactStore, type ObjectArtifactStoreOptions } from "./object-artifact-store.ts";
