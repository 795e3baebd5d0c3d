/**
 * Connecting to NATS and declaring the JetStream resources the adapters need, idempotently:
 * every service calls the `ensure*` helpers at start-up, whichever starts first creates the
 * stream / consumer / bucket, the others bind to it (and bring its mutable settings up to
 * date). Works with nats-server 2.9 and later.
 */
import {
  type ConsumerConfig,
  type ConsumerInfo,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { type KV, Kvm, type KvOptions } from "@nats-io/kv";
import { type ObjectStore, type ObjectStoreOptions, Objm } from "@nats-io/obj";
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { InvalidArgumentError } from "../errors.ts";

export type { NatsConnection } from "@nats-io/transport-node";

export interface NatsConnectOptions {
  /** One or more `nats://host:port` URLs (a cluster's seed list). */
  servers: string | string[];
  /** Client name shown by the server's monitoring (e.g. `adq-coordinator`, `adq-worker-features`). */
  name: string;
  token?: string;
  user?: string;
  pass?: string;
  /** Shortest delay between reconnect attempts (default 250 ms). */
  reconnectBaseMs?: number;
  /** Reconnect delay cap (default 5 s). */
  reconnectMaxMs?: number;
  /**
   * Keep retrying the first connect too (a service that starts before nats-server). Default
   * false: a CLI fails fast when the server is not there.
   */
  waitOnFirstConnect?: boolean;
  /** Handshake timeout per attempt (default 5 s). */
  timeoutMs?: number;
  /** Anything else of the client's options (TLS, authenticator…). */
  extra?: Partial<NodeConnectionOptions>;
}

/**
 * Connects with a policy that survives a nats-server restart: unlimited reconnect attempts,
 * spaced by a backoff that grows with the time spent disconnected (first retry after
 * `reconnectBaseMs`, then about half the outage so far, capped at `reconnectMaxMs`, plus
 * jitter), and pings often enough that a dead server is noticed within ~30 s even without
 * TCP errors. Publishes made while disconnected are buffered and sent on reconnect.
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const base = options.reconnectBaseMs ?? 250;
  const max = options.reconnectMaxMs ?? 5000;
  // The client asks for the delay on every turn of its dial loop (not once per attempt) and
  // compares it with the time of the last attempt: the delay must depend on the outage's
  // length, not on how often it was asked.
  let downSince = 0;
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    token: options.token,
    user: options.user,
    pass: options.pass,
    maxReconnectAttempts: -1,
    reconnect: true,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    reconnectDelayHandler: () => {
      const now = Date.now();
      if (downSince === 0) downSince = now;
      return Math.min(max, Math.max(base, (now - downSince) / 2)) + Math.floor(Math.random() * 50);
    },
    pingInterval: 10_000,
    maxPingOut: 3,
    timeout: options.timeoutMs ?? 5000,
    ...options.extra,
  });
  downSince = 0;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" && downSince === 0) downSince = Date.now();
      if (s.type === "reconnect") downSince = 0;
    }
  })().catch(() => {});
  return nc;
}

/** A subject token or resource name part: no dots, wildcards or whitespace. */
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

export function assertToken(field: string, value: string): void {
  if (!TOKEN.test(value)) {
    throw new InvalidArgumentError(
      field,
      `must match ${TOKEN} to be used in NATS subjects: ${JSON.stringify(value)}`,
    );
  }
}

export function isApiError(e: unknown, ...codes: number[]): e is JetStreamApiError {
  return e instanceof JetStreamApiError && (codes.length === 0 || codes.includes(e.code));
}

/** JetStream API error codes used here (server `errors.json`). */
export const ApiCodes = {
  StreamNotFound: 10059,
  StreamNameInUse: 10058,
  ConsumerNotFound: 10014,
  ConsumerNameExists: 10013,
  ConsumerAlreadyExists: 10148,
  ConsumerExistsWithDifferentConfig: 10105,
  NoMessageFound: 10037,
  WrongLastSequence: 10071,
} as const;

/** Creates the stream, or updates the mutable parts of its config when it exists. */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<StreamInfo> {
  try {
    return await jsm.streams.add(config);
  } catch (e) {
    if (!isApiError(e, ApiCodes.StreamNameInUse)) throw e;
    const { name, retention: _r, storage: _s, ...mutable } = config;
    return await jsm.streams.update(name, mutable);
  }
}

/** Creates a durable consumer, or updates its mutable settings when it exists with others. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<ConsumerInfo> {
  try {
    return await jsm.consumers.add(stream, config);
  } catch (e) {
    if (!(e instanceof JetStreamApiError) || e.code === ApiCodes.StreamNotFound) throw e;
    const { ack_wait, max_deliver, max_ack_pending, backoff, description } = config;
    return await jsm.consumers.update(stream, config.durable_name, {
      ack_wait,
      max_deliver,
      max_ack_pending,
      backoff,
      description,
    });
  }
}

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  return jetstreamManager(nc, { timeout: 10_000 });
}

/** Opens the KV bucket, creating it if missing (idempotent across racing services). */
export async function ensureKv(
  nc: NatsConnection,
  bucket: string,
  options: Partial<KvOptions> = {},
): Promise<KV> {
  return new Kvm(nc).create(bucket, options);
}

/** Opens the Object Store bucket, creating it if missing (idempotent across racing services). */
export async function ensureObjectStore(
  nc: NatsConnection,
  bucket: string,
  options: Partial<ObjectStoreOptions> = {},
): Promise<ObjectStore> {
  return new Objm(nc).create(bucket, options);
}

/** Milliseconds to the nanoseconds JetStream configs use. */
export function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}
