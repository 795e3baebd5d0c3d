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
export {
  type BusNames,
  busNames,
  type CloseOptions,
  defaultLogger,
  type EventSubscribeOptions,
  type Logger,
  type LogLevel,
  NatsBus,
  type NatsBusOptions,
  type NatsSubscription,
  type OutcomeListenOptions,
} from "./nats-bus.ts";
export { ObjectArtifactStore, type ObjectArtifactStoreOptions } from "./object-artifact-store.ts";
