/**
 * Connecting to NATS and declaring the JetStream resources the adapters need, idempotently:
 * every service calls the `ensure*` helpers at start-up, whichever starts first creates the
 * stream / consumer / bucket, the others bind to it (and bring its mutable settings up to
 * date). Works with nats-server 2.9 and later.
 */

import { readFileSync } from "node:fs";
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
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from "@nats-io/transport-node";
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
  /** Credentials and TLS (natsAuthConnectOptions). */
  auth?: NatsAuthOptions;
  /** Anything else of the client's options. */
  extra?: Partial<NodeConnectionOptions>;
}

/**
 * How a service authenticates to NATS and secures the connection. Secrets are named by file
 * (never passed on a command line, where `ps` shows them) and re-read on every (re)connect,
 * so a rotated creds file or password is picked up without a restart.
 */
export interface NatsAuthOptions {
  /** A `.creds` file: user JWT + NKey seed (decentralised auth, `nsc`). */
  credsFile?: string;
  /** A file holding an NKey user seed (`SU…`). */
  nkeySeedFile?: string;
  /** User name; the password comes from `passwordFile`. */
  user?: string;
  passwordFile?: string;
  /** A file holding a token. */
  tokenFile?: string;
  /** TLS: CA to trust, client certificate and key (mTLS). */
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/** A secret file's content, trimmed of the trailing newline editors add. */
function secret(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InvalidArgumentError(
      what,
      `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const v = text.trim();
  if (v === "") throw new InvalidArgumentError(what, `${file} is empty`);
  return v;
}

/** Connection options (authenticator, TLS) for `a`; throws InvalidArgumentError on bad settings. */
export function natsAuthConnectOptions(a: NatsAuthOptions = {}): Partial<NodeConnectionOptions> {
  const methods = [a.credsFile, a.nkeySeedFile, a.user ?? a.passwordFile, a.tokenFile].filter(
    (v) => v !== undefined,
  );
  if (methods.length > 1)
    throw new InvalidArgumentError(
      "nats",
      "choose one of --nats-creds, --nats-nkey, --nats-user/--nats-password-file, --nats-token-file",
    );
  if ((a.user === undefined) !== (a.passwordFile === undefined))
    throw new InvalidArgumentError("nats-user", "--nats-user and --nats-password-file go together");
  if ((a.tlsCertFile === undefined) !== (a.tlsKeyFile === undefined))
    throw new InvalidArgumentError("nats-tls-cert", "--nats-tls-cert and --nats-tls-key go together");
  let authenticator: Authenticator | undefined;
  // Read once now so that a missing file fails at start-up, then on every connect.
  if (a.credsFile) {
    const f = a.credsFile;
    secret(f, "nats-creds");
    authenticator = credsAuthenticator(() => new TextEncoder().encode(secret(f, "nats-creds")));
  } else if (a.nkeySeedFile) {
    const f = a.nkeySeedFile;
    secret(f, "nats-nkey");
    authenticator = nkeyAuthenticator(() => new TextEncoder().encode(secret(f, "nats-nkey")));
  } else if (a.user !== undefined && a.passwordFile) {
    const f = a.passwordFile;
    secret(f, "nats-password-file");
    authenticator = usernamePasswordAuthenticator(a.user, () => secret(f, "nats-password-file"));
  } else if (a.tokenFile) {
    const f = a.tokenFile;
    secret(f, "nats-token-file");
    authenticator = tokenAuthenticator(() => secret(f, "nats-token-file"));
  }
  const tls =
    a.tlsCaFile || a.tlsCertFile
      ? {
          ...(a.tlsCaFile ? { caFile: a.tlsCaFile } : {}),
          ...(a.tlsCertFile ? { certFile: a.tlsCertFile, keyFile: a.tlsKeyFile! } : {}),
        }
      : undefined;
  for (const [f, what] of [
    [a.tlsCaFile, "nats-tls-ca"],
    [a.tlsCertFile, "nats-tls-cert"],
    [a.tlsKeyFile, "nats-tls-key"],
  ] as const)
    if (f) secret(f, what);
  return { ...(authenticator ? { authenticator } : {}), ...(tls ? { tls } : {}) };
}

/** NATS auth settings from the environment (`ADQ_NATS_CREDS`, …), overridden by `o`. */
export function natsAuthFromEnv(o: NatsAuthOptions = {}, env = process.env): NatsAuthOptions {
  const pick = <K extends keyof NatsAuthOptions>(k: K, name: string) => {
    const v = o[k] ?? (env[name] === "" ? undefined : env[name]);
    return v === undefined ? {} : { [k]: v };
  };
  return {
    ...pick("credsFile", "ADQ_NATS_CREDS"),
    ...pick("nkeySeedFile", "ADQ_NATS_NKEY"),
    ...pick("user", "ADQ_NATS_USER"),
    ...pick("passwordFile", "ADQ_NATS_PASSWORD_FILE"),
    ...pick("tokenFile", "ADQ_NATS_TOKEN_FILE"),
    ...pick("tlsCaFile", "ADQ_NATS_TLS_CA"),
    ...pick("tlsCertFile", "ADQ_NATS_TLS_CERT"),
    ...pick("tlsKeyFile", "ADQ_NATS_TLS_KEY"),
  };
}

/** A server URL fit for logs: user info (`user:password@`, `token@`) replaced by `***@`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1***@");
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
    // A per-client inbox prefix: NATS permissions can then let each client subscribe to its
    // own replies only (deploy/nats/adq-auth.conf), never to another's.
    inboxPrefix: `_INBOX_${options.name.replace(/[^A-Za-z0-9_-]/g, "_")}`,
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
    ...natsAuthConnectOptions(options.auth),
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

/**
 * The server refused a subject to this client (NATS permissions): e.g. a stage worker, which
 * may not create or change streams (deploy/nats/adq-auth.conf).
 */
export function isPermissionDenied(e: unknown): boolean {
  for (let c: unknown = e, i = 0; c instanceof Error && i < 5; c = c.cause, i++)
    if (/permissions violation/i.test(c.message)) return true;
  return false;
}

/**
 * The stream's info once it exists: a client that may not create it (a stage worker) waits
 * for the gateway/coordinator to do so, as it waits for nats-server itself.
 */
async function awaitStream(jsm: JetStreamManager, name: string): Promise<StreamInfo> {
  for (let i = 0; ; i++) {
    try {
      return await jsm.streams.info(name);
    } catch (e) {
      if (!isApiError(e, ApiCodes.StreamNotFound) && (e as Error).name !== "StreamNotFoundError") throw e;
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** i)));
    }
  }
}

/**
 * Creates the stream, or updates the mutable parts of its config when it exists. A client
 * not allowed to create or update streams (a stage worker under least privilege) binds to the
 * stream as it is: the gateway/coordinator owns its configuration.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<StreamInfo> {
  try {
    return await jsm.streams.add(config);
  } catch (e) {
    if (isPermissionDenied(e)) return await awaitStream(jsm, config.name);
    if (!isApiError(e, ApiCodes.StreamNameInUse)) throw e;
    const { name, retention: _r, storage: _s, ...mutable } = config;
    try {
      return await jsm.streams.update(name, mutable);
    } catch (u) {
      if (isPermissionDenied(u)) return await awaitStream(jsm, name);
      throw u;
    }
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
export function ensureKv(nc: NatsConnection, bucket: string, options: Partial<KvOptions> = {}): Promise<KV> {
  return createOrBind(nc, new Kvm(nc), bucket, `KV_${bucket}`, options);
}

/** Opens the Object Store bucket, creating it if missing (idempotent across racing services). */
export function ensureObjectStore(
  nc: NatsConnection,
  bucket: string,
  options: Partial<ObjectStoreOptions> = {},
): Promise<ObjectStore> {
  return createOrBind(nc, new Objm(nc), bucket, `OBJ_${bucket}`, options);
}

/**
 * A bucket created, or, where this connection may not create it (a stage worker), bound once
 * its backing stream exists (the gateway creates it).
 */
async function createOrBind<T, O>(
  nc: NatsConnection,
  buckets: { create(name: string, options: O): Promise<T>; open(name: string): Promise<T> },
  bucket: string,
  stream: string,
  options: O,
): Promise<T> {
  try {
    return await buckets.create(bucket, options);
  } catch (e) {
    if (!isPermissionDenied(e)) throw e;
    await awaitStream(await manager(nc), stream);
    return await buckets.open(bucket);
  }
}

/** Milliseconds to the nanoseconds JetStream configs use. */
export function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}
