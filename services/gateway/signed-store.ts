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
 * What it does not stop: replaying an older signed version of the same record (its tenant
 * is still its own), or deleting records (availability, not confidentiality).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { JobStore, Versioned } from "@adq/platform";
import type { Logger } from "@adq/service-common";

const SIG = "_sig";

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
  ) {}

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
    const v = await this.inner.create(this.sign(job));
    return { value: job, revision: v.revision };
  }

  async get(id: string): Promise<Versioned<J> | undefined> {
    const v = await this.inner.get(id);
    if (!v) return undefined;
    const value = this.verify(v.value, id);
    return value ? { value, revision: v.revision } : undefined;
  }

  async update(job: J, expectedRevision: number): Promise<Versioned<J>> {
    const v = await this.inner.update(this.sign(job), expectedRevision);
    return { value: job, revision: v.revision };
  }

  async list(): Promise<J[]> {
    const out: J[] = [];
    for (const j of await this.inner.list()) {
      const v = this.verify(j);
      if (v) out.push(v);
    }
    return out;
  }

  delete(id: string): Promise<void> {
    return this.inner.delete(id);
  }
}
