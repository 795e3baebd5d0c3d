/**
 * Job records bound to their content by an HMAC (`--record-key-file`).
 *
 * In cluster mode job records live in a NATS KV bucket. Whoever can write that bucket (a NATS
 * admin, a leaked credential, a misconfigured permission) could rewrite `tenant: B` into
 * `tenant: A` and have the gateway serve B's job and result to A. With a record key, every
 * record is stored with `_sig` = HMAC-SHA256(key, canonical JSON of the record); a record
 * whose signature is missing or wrong is treated as absent (NOT_FOUND to the caller, left out
 * of ListJobs, never run) and logged as `job_record_rejected`. The key stays with the
 * gateway/coordinator processes; stage workers never see records at all (NATS permissions,
 * deploy/nats/).
 *
 * Deletion leaves a signed tombstone (`deleted.<id>`, with `tombstones: true`, the jobs
 * bucket): a saved signed record put back after DeleteJob reads as absent (logged
 * `job_record_rejected`, why "deleted"), so a replay cannot bring a deleted job back. Job ids
 * are random and never reused, so a tombstone is never lifted.
 *
 * What it does not stop: replaying an older signed version of a live record (its tenant is
 * still its own), erasing a tombstone together with the replay, or deleting records
 * (availability, not confidentiality) — all need write access to the KV bucket itself.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConflictError, type JobStore, type Versioned } from "@adq/platform";
import type { Logger } from "@adq/service-common";

const SIG = "_sig";
/** A tombstone's key, and the field naming the deleted record. */
const TOMB_PREFIX = "deleted.";
const TOMB_OF = "deletedRecord";

/** JSON with object keys sorted at every level: the same record gives the same bytes. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonicalJson(x))).join(",")}]`;
  const keys = Object.keys(v)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
}

/** Reads a record key file: at least 32 bytes (raw, or the text of a hex/base64 secret). */
export function readRecordKey(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new Error(`--record-key-file ${file}: ${(e as NodeJS.ErrnoException).code ?? "cannot read"}`);
  }
  // A trailing newline (echo, editors) is not part of the key.
  let key = raw;
  while (key.length > 0 && (key[key.length - 1] === 0x0a || key[key.length - 1] === 0x0d))
    key = key.subarray(0, -1);
  if (key.length < 32)
    throw new Error(
      `--record-key-file ${file}: the key must hold at least 32 bytes (e.g. openssl rand -hex 32)`,
    );
  return key;
}

export class SignedJobStore<J extends { id: string }> implements JobStore<J> {
  constructor(
    private readonly inner: JobStore<J>,
    private readonly key: Buffer,
    /** Bucket name for log lines. */
    private readonly what: string,
    private readonly log?: Logger,
    /** Leave a signed tombstone at delete (records whose ids are never reused: jobs). */
    private readonly options: { tombstones?: boolean } = {},
  ) {}

  /** True when a validly signed tombstone says `id` was deleted. */
  private async tombstoned(id: string): Promise<boolean> {
    if (!this.options.tombstones) return false;
    const t = await this.inner.get(`${TOMB_PREFIX}${id}`);
    if (!t) return false;
    const v = this.verify(t.value, `${TOMB_PREFIX}${id}`) as Record<string, unknown> | undefined;
    return v?.[TOMB_OF] === id;
  }

  private rejectDeleted(id: string): undefined {
    this.log?.warn("job_record_rejected", { bucket: this.what, id, why: "deleted (a replayed record)" });
    return undefined;
  }

  private mac(value: unknown): string {
    return createHmac("sha256", this.key).update(canonicalJson(value)).digest("base64url");
  }

  private sign(job: J): J {
    // A JSON round trip first: the signature covers exactly what the store keeps.
    const plain = JSON.parse(JSON.stringify(job)) as Record<string, unknown>;
    delete plain[SIG];
    return { ...plain, [SIG]: this.mac(plain) } as unknown as J;
  }

  /** The record without its signature, or undefined when the signature does not match. */
  private verify(stored: J, id?: string): J | undefined {
    const { [SIG]: sig, ...rest } = stored as unknown as Record<string, unknown>;
    const want = this.mac(rest);
    const ok =
      typeof sig === "string" &&
      sig.length === want.length &&
      timingSafeEqual(Buffer.from(sig), Buffer.from(want)) &&
      (id === undefined || rest.id === id);
    if (!ok) {
      this.log?.warn("job_record_rejected", {
        bucket: this.what,
        id: id ?? String(rest.id ?? ""),
        why: typeof sig === "string" ? "signature mismatch" : "unsigned",
      });
      return undefined;
    }
    return rest as unknown as J;
  }

  async create(job: J): Promise<Versioned<J>> {
    if (await this.tombstoned(job.id)) throw new ConflictError(`${this.what} record ${job.id} was deleted`);
    const v = await this.inner.create(this.sign(job));
    return { value: job, revision: v.revision };
  }

  async get(id: string): Promise<Versioned<J> | undefined> {
    const v = await this.inner.get(id);
    if (!v) return undefined;
    const value = this.verify(v.value, id);
    if (!value || isTombstone(value)) return undefined;
    if (await this.tombstoned(id)) return this.rejectDeleted(id);
    return { value, revision: v.revision };
  }

  async update(job: J, expectedRevision: number): Promise<Versioned<J>> {
    const v = await this.inner.update(this.sign(job), expectedRevision);
    return { value: job, revision: v.revision };
  }

  async list(): Promise<J[]> {
    const out: J[] = [];
    const deleted = new Set<string>();
    for (const j of await this.inner.list()) {
      const v = this.verify(j);
      if (!v) continue;
      if (isTombstone(v)) deleted.add(String((v as Record<string, unknown>)[TOMB_OF]));
      else out.push(v);
    }
    if (deleted.size === 0) return out;
    return out.filter((j) => !deleted.has(j.id) || this.rejectDeleted(j.id));
  }

  /** Tombstone first (with `tombstones`): a crash in between leaves the job deleted, not back. */
  async delete(id: string): Promise<void> {
    if (this.options.tombstones) {
      const tomb = { id: `${TOMB_PREFIX}${id}`, [TOMB_OF]: id } as unknown as J;
      await this.inner.create(this.sign(tomb)).catch((e: unknown) => {
        if (!(e instanceof ConflictError)) throw e; // already tombstoned
      });
    }
    return this.inner.delete(id);
  }
}

function isTombstone(v: unknown): boolean {
  return typeof v === "object" && v !== null && TOMB_OF in v;
}
