import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { ConflictError, InvalidArgumentError } from "../errors.ts";
import type { JobStore, Versioned } from "../ports.ts";
import { ApiCodes, ensureKv, isApiError, manager, type NatsConnection } from "./connection.ts";

export interface KvJobStoreOptions {
  /** Bucket name (default `adq-jobs`; stream `KV_adq-jobs`). */
  bucket?: string;
  /** Revisions kept per job (default 1: compare-and-set needs only the latest). */
  history?: number;
  replicas?: number;
}

/** KV keys: the id is used as is, so it must be a valid key (`[-/_=.a-zA-Z0-9]`, no edge dots). */
const KEY = /^[-/_=.a-zA-Z0-9]+$/;

function key(id: string): string {
  if (!KEY.test(id) || id.startsWith(".") || id.endsWith(".")) {
    throw new InvalidArgumentError("id", `not a valid job id: ${JSON.stringify(id)}`);
  }
  return id;
}

/**
 * JobStore on a JetStream KV bucket. Every write is a compare-and-set on the key's last
 * revision (the stream sequence of its last write): `create` expects no live value, `update`
 * expects `expectedRevision`; a mismatch is a ConflictError. Revisions increase with every
 * write to the bucket (not by one per job as in MemoryJobStore); callers only compare them.
 */
export class KvJobStore<J extends { id: string }> implements JobStore<J> {
  private jsm: Promise<JetStreamManager> | undefined;

  private constructor(
    readonly kv: KV,
    private readonly nc: NatsConnection,
    readonly bucket: string,
  ) {}

  static async open<J extends { id: string }>(
    nc: NatsConnection,
    options: KvJobStoreOptions = {},
  ): Promise<KvJobStore<J>> {
    const bucket = options.bucket ?? "adq-jobs";
    const kv = await ensureKv(nc, bucket, {
      history: options.history ?? 1,
      replicas: options.replicas ?? 1,
    });
    return new KvJobStore<J>(kv, nc, bucket);
  }

  private encode(job: J): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(job));
  }

  async create(job: J): Promise<Versioned<J>> {
    try {
      const revision = await this.kv.create(key(job.id), this.encode(job));
      return { value: structuredClone(job), revision };
    } catch (e) {
      if (isApiError(e, ApiCodes.WrongLastSequence)) throw new ConflictError(`job ${job.id} already exists`);
      throw e;
    }
  }

  async get(id: string): Promise<Versioned<J> | undefined> {
    const e = await this.kv.get(key(id));
    if (e?.operation !== "PUT") return undefined;
    return { value: e.json<J>(), revision: e.revision };
  }

  async update(job: J, expectedRevision: number): Promise<Versioned<J>> {
    if (!Number.isInteger(expectedRevision) || expectedRevision <= 0) {
      throw new ConflictError(`job ${job.id}: invalid expected revision ${expectedRevision}`);
    }
    try {
      const revision = await this.kv.update(key(job.id), this.encode(job), expectedRevision);
      return { value: structuredClone(job), revision };
    } catch (e) {
      if (isApiError(e, ApiCodes.WrongLastSequence)) {
        throw new ConflictError(
          `job ${job.id}: expected revision ${expectedRevision} (${(e as Error).message})`,
        );
      }
      throw e;
    }
  }

  /**
   * The bucket's keys as the subjects of its stream (one API call, paged by the client).
   * Not `kv.keys()`: its consumer only ends when it has caught up with the bucket, so while
   * running jobs keep writing their records it waits for an idle heartbeat (~30 s). Keys
   * whose last entry is a delete or purge marker are listed too; `get` drops them.
   */
  private async keys(): Promise<string[]> {
    const prefix = `$KV.${this.bucket}.`;
    this.jsm ??= manager(this.nc);
    this.jsm.catch(() => {
      this.jsm = undefined; // retry the handshake next time
    });
    const jsm = await this.jsm;
    const info = await jsm.streams.info(`KV_${this.bucket}`, { subjects_filter: `${prefix}>` });
    return Object.keys(info.state.subjects ?? {})
      .filter((s) => s.startsWith(prefix))
      .map((s) => s.slice(prefix.length))
      .sort();
  }

  async list(): Promise<J[]> {
    const keys = await this.keys();
    const out: J[] = [];
    // Bounded parallelism: one direct get per key.
    for (let i = 0; i < keys.length; i += 32) {
      const batch = await Promise.all(keys.slice(i, i + 32).map((k) => this.get(k)));
      for (const v of batch) if (v) out.push(v.value);
    }
    return out;
  }

  /** Purges the job's key (its history too); a later `create` with the same id succeeds. */
  async delete(id: string): Promise<void> {
    await this.kv.purge(key(id));
  }
}
