/**
 * The platform ports on NATS JetStream for one service process: one connection, the Bus
 * (NatsBus), and — for the gateway/coordinator — the two KV buckets (job records and the
 * idempotency index) and the Object Store bucket of artifacts. Every process declares the
 * streams, buckets and its consumers idempotently at start-up (whoever starts first
 * creates them).
 *
 * Names, for a namespace `ns` (default `adq`): streams `NS_TASKS`, `NS_OUTCOMES`,
 * `NS_EVENTS` (packages/platform/src/nats/README.md), KV buckets `ns-jobs`,
 * `ns-idempotency` and `ns-fair-share`, Object Store buckets `ns-artifacts` and
 * `ns-art-<part>` (one per writer, artifact-buckets.ts).
 */

import type { IdempotencyRecord, JobRecord } from "@adq/gateway";
import { parseS3Uri, s3Client } from "@adq/ml";
import type { ArtifactStore } from "@adq/platform";
import {
  connectNats,
  KvJobStore,
  type LogLevel,
  type NatsAuthOptions,
  NatsBus,
  type NatsConnection,
  redactUrl,
} from "@adq/platform/nats";
import { S3ArtifactStore } from "@adq/platform/s3";
import type { Logger } from "@adq/service-common";
import type { LeaseRecord } from "@adq/stages";
import { openStagedArtifacts, type StageRole } from "./artifact-buckets.ts";

export interface ClusterPortsOptions {
  /** NATS server URL(s), comma-separated or a list. */
  nats: string | string[];
  /** Client name shown by the server (e.g. `adq-gateway`, `adq-worker-features`). */
  name: string;
  namespace?: string;
  /** Redelivery timeout of a task (or a job) whose process stopped heartbeating. */
  ackWaitMs?: number;
  /** NAK delays after failed attempts (the last repeats). */
  retryBackoffMs?: number[];
  /**
   * The stage this process works for (`adq serve --stage`): it then opens only the artifact
   * buckets that stage reads and writes only its own (artifact-buckets.ts). Absent: the
   * control plane, every bucket.
   */
  stage?: StageRole;
  /** Open the KV buckets (gateway / coordinator); workers need only the bus and the store. */
  kv?: boolean;
  /** Credentials and TLS for the connection (never logged). */
  auth?: NatsAuthOptions;
  /**
   * Accept a NATS server that lets clients in without authentication (`--insecure-nats`):
   * anyone who reaches it can then read and rewrite jobs, tasks and artifacts. Default false:
   * such a server is refused (`NatsConnectError`).
   */
  insecureNats?: boolean;
  /**
   * The artifact Object Store's durability and bound (`--artifact-replicas`,
   * `--artifact-max-bytes`): JetStream replicas (1 on a single server; 3 on a 3-node cluster
   * survives a node) and a byte cap past which puts fail instead of filling the disk. Every
   * process of a cluster must pass the same values (the chart does): JetStream refuses to
   * re-create the bucket with a different configuration. `s3` (`--artifact-store
   * s3://bucket/prefix`): the artifacts live in that S3 prefix instead (@adq/platform/s3,
   * the same contract), written with the process's own AWS identity.
   */
  artifacts?: { replicas?: number; maxBytes?: number; s3?: string };
  log: Logger;
}

/** A cluster process's NATS flags (`--insecure-nats`, `--namespace`, …), as its options name them. */
export interface NatsProcessFlags {
  natsAuth?: NatsAuthOptions;
  insecureNats?: boolean;
  namespace?: string;
  ackWaitMs?: number;
  retryBackoffMs?: number[];
  artifacts?: ClusterPortsOptions["artifacts"];
}

/** The ClusterPortsOptions a process's NATS flags set (unset flags stay unset). */
export function natsPortsOptions(o: NatsProcessFlags): Partial<ClusterPortsOptions> {
  return {
    ...(o.natsAuth ? { auth: o.natsAuth } : {}),
    ...(o.insecureNats ? { insecureNats: true } : {}),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.ackWaitMs ? { ackWaitMs: o.ackWaitMs } : {}),
    ...(o.retryBackoffMs ? { retryBackoffMs: o.retryBackoffMs } : {}),
    ...(o.artifacts ? { artifacts: o.artifacts } : {}),
  };
}

export interface ClusterPorts {
  nc: NatsConnection;
  bus: NatsBus;
  /** The NATS Object Store, or S3 with `artifacts.s3`. */
  store: ArtifactStore;
  jobs?: KvJobStore<JobRecord>;
  idempotency?: KvJobStore<IdempotencyRecord>;
  /** The coordinators' shared fair-share windows (leases per tenant and stage, @adq/stages SharedFairShare). */
  leases?: KvJobStore<LeaseRecord>;
  /** Follows the connection: `connected` false while NATS is unreachable. */
  onStatus(listener: (connected: boolean) => void): void;
  readonly connected: boolean;
  /** Closes the bus (draining its workers within `timeoutMs`), then drains the connection. */
  close(timeoutMs?: number): Promise<void>;
}

/** NATS could not be reached or refused us; the message never holds a secret. */
export class NatsConnectError extends Error {
  override readonly name = "NatsConnectError";
}

export function natsServers(v: string | string[]): string[] {
  const list = (Array.isArray(v) ? v : v.split(","))
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (/^[a-z]+:\/\//i.test(s) ? s : `nats://${s}`));
  for (const s of list) {
    let ok = false;
    try {
      const u = new URL(s);
      ok = ["nats:", "tls:"].includes(u.protocol) && u.hostname !== "";
    } catch {
      ok = false;
    }
    if (!ok) throw new NatsConnectError(`--nats: not a nats:// or tls:// URL: ${redactUrl(s)}`);
  }
  if (list.length === 0) throw new NatsConnectError("--nats: no server URL given");
  return list;
}

/** Which kind of credentials a connection uses (for logs: never the secret itself). */
export function natsAuthMethod(a: NatsAuthOptions | undefined, servers: string[] = []): string {
  if (a?.credsFile) return "creds";
  if (a?.nkeySeedFile) return "nkey";
  if (a?.user !== undefined) return "user-password";
  if (a?.tokenFile) return "token";
  if (a?.tlsCertFile) return "tls-client-cert";
  if (servers.some((s) => /^[a-z]+:\/\/[^/]*@/i.test(s))) return "url-userinfo";
  return "none";
}

/**
 * True when the server's INFO says a client needs neither credentials nor a verified client
 * certificate to get in: the connection we just made would have worked for anyone.
 */
export function unauthenticatedServer(nc: NatsConnection): boolean {
  const info = nc.info as { auth_required?: boolean; tls_verify?: boolean } | undefined;
  return info?.auth_required !== true && info?.tls_verify !== true;
}

export async function openClusterPorts(o: ClusterPortsOptions): Promise<ClusterPorts> {
  const ns = o.namespace ?? "adq";
  const log = o.log.child({ component: "nats" });
  const servers = natsServers(o.nats);
  // User info in a URL (nats://user:password@host) is a secret: logs show `***@`.
  const shown = servers.map(redactUrl);
  log.info("nats_connecting", {
    servers: shown,
    auth: natsAuthMethod(o.auth, servers),
    tls: Boolean(o.auth?.tlsCaFile || o.auth?.tlsCertFile || servers.some((s) => s.startsWith("tls://"))),
  });
  let nc: NatsConnection;
  try {
    nc = await connectNats({
      servers,
      name: o.name,
      waitOnFirstConnect: true,
      ...(o.auth ? { auth: o.auth } : {}),
    });
  } catch (e) {
    // One line, no stack, no secret: e.g. "Authorization Violation" for wrong credentials.
    const msg = (e as Error).message ?? String(e);
    const why = servers
      .reduce((m, s) => m.split(s).join(redactUrl(s)), msg)
      .replace(/\/\/[^@\s/]*@/g, "//***@");
    throw new NatsConnectError(`cannot connect to NATS at ${shown.join(",")}: ${why}`);
  }
  const unauthenticated = unauthenticatedServer(nc);
  if (unauthenticated) {
    if (!o.insecureNats) {
      await nc.close().catch(() => {});
      throw new NatsConnectError(
        `NATS at ${shown.join(",")} requires no authentication: any client that reaches it can read and rewrite jobs, tasks and every tenant's artifacts. Configure authorization (deploy/nats/adq-auth.conf) or pass --insecure-nats to run anyway`,
      );
    }
    log.warn("nats_insecure", {
      hint: "--insecure-nats: the NATS server requires no authentication (SECURITY.md)",
    });
  }
  let connected = true;
  const listeners: Array<(c: boolean) => void> = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" && connected) {
        connected = false;
        log.warn("nats_disconnected", { server: (s as { server?: string }).server });
        for (const l of listeners) l(false);
      } else if (s.type === "reconnect" && !connected) {
        connected = true;
        log.info("nats_reconnected", { server: (s as { server?: string }).server });
        for (const l of listeners) l(true);
      }
    }
  })().catch(() => {});
  const busLog = o.log.child({ component: "nats-bus" });
  try {
    const bus = await NatsBus.connect(nc, {
      namespace: ns,
      // Workers never listen to outcomes: they need no read access to them.
      followOutcomes: o.kv === true,
      // The control plane declares every stage consumer (startClusterGateway); workers only
      // bind to theirs: they may not create or change one (deploy/nats/adq-auth.conf).
      declareConsumers: false,
      // A worker's events carry its stage: receivers take only its stage's progress from it.
      ...(o.stage ? { eventSource: o.stage } : {}),
      ...(o.ackWaitMs ? { ackWaitMs: o.ackWaitMs } : {}),
      ...(o.retryBackoffMs?.length ? { retryBackoffMs: o.retryBackoffMs } : {}),
      logger: (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
        const { jobId, ...rest } = fields ?? {};
        busLog.log(level, message.replace(/[^A-Za-z0-9]+/g, "_"), {
          ...(jobId !== undefined ? { job_id: jobId } : {}),
          ...rest,
        });
      },
    });
    const store: ArtifactStore = o.artifacts?.s3
      ? s3ArtifactStore(o.artifacts.s3)
      : await openStagedArtifacts(nc, ns, o.stage, {
          ...(o.artifacts?.replicas ? { replicas: o.artifacts.replicas } : {}),
          ...(o.artifacts?.maxBytes ? { maxBytes: o.artifacts.maxBytes } : {}),
        });
    const jobs = o.kv ? await KvJobStore.open<JobRecord>(nc, { bucket: `${ns}-jobs` }) : undefined;
    const idempotency = o.kv
      ? await KvJobStore.open<IdempotencyRecord>(nc, { bucket: `${ns}-idempotency` })
      : undefined;
    const leases = o.kv ? await KvJobStore.open<LeaseRecord>(nc, { bucket: `${ns}-fair-share` }) : undefined;
    log.info("nats_ready", { servers: shown, namespace: ns });
    let closing: Promise<void> | undefined;
    return {
      nc,
      bus,
      store,
      ...(jobs ? { jobs } : {}),
      ...(idempotency ? { idempotency } : {}),
      ...(leases ? { leases } : {}),
      onStatus: (l) => listeners.push(l),
      get connected() {
        return connected;
      },
      close(timeoutMs = 10_000) {
        closing ??= (async () => {
          await bus.close({ timeoutMs });
          if (!nc.isClosed()) await nc.drain().catch(() => {});
        })();
        return closing;
      },
    };
  } catch (e) {
    await nc.close().catch(() => {});
    throw e;
  }
}

/** `--artifact-store s3://bucket/prefix`: the artifact store on S3 (standard AWS configuration). */
function s3ArtifactStore(uri: string): ArtifactStore {
  const { bucket, key } = parseS3Uri(uri, "--artifact-store");
  return new S3ArtifactStore(s3Client(), bucket, key);
}
