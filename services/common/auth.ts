/**
 * Tenant authentication by API key (proto/README.md, "Tenancy and authentication").
 * Keys are configured only as SHA-256 hashes; a presented key is hashed and looked up,
 * so the server never holds a key in clear and the lookup time does not depend on how
 * much of a guessed key is right.
 *
 * The API-key file (JSON):
 *
 *   {
 *     "tenants": [
 *       { "id": "acme",
 *         "keys": ["<sha256 hex of the key>", "sha256:<hex>"],
 *         "quotas": { "concurrent_jobs": 4, "images_per_job": 100000, "upload_bytes": 1073741824,
 *                     "uploads": 100, "upload_total_bytes": 17179869184 } }
 *     ]
 *   }
 *
 * Hash a key with `printf %s "$KEY" | sha256sum`. Tenant ids are 1-64 characters of
 * [A-Za-z0-9._-] (they become artifact key segments and NATS subject tokens).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type * as grpc from "@grpc/grpc-js";
import { AuthThrottle, type AuthThrottleOptions } from "./auth-throttle.ts";
import { unauthenticated } from "./errors.ts";

export interface TenantQuotas {
  /** Jobs QUEUED, RUNNING or CANCELLING at once. */
  concurrentJobs: number;
  /** Items in one job's dataset. */
  imagesPerJob: number;
  /** Bytes of one uploaded archive; unset: the server's configured maximum. */
  uploadBytes?: number;
  /** Uploads kept at once; unset: DEFAULT_UPLOAD_QUOTAS.uploads. */
  uploads?: number;
  /** Archive + extracted bytes of all kept uploads; unset: DEFAULT_UPLOAD_QUOTAS.uploadTotalBytes. */
  uploadTotalBytes?: number;
}

/** What a tenant may keep in uploads when its `quotas` do not say (issue 28: storage bounded). */
export const DEFAULT_UPLOAD_QUOTAS = { uploads: 100, uploadTotalBytes: 16 * 1024 ** 3 } as const;

export const DEFAULT_QUOTAS: TenantQuotas = { concurrentJobs: 4, imagesPerJob: 1_000_000 };

export interface Tenant {
  id: string;
  quotas: TenantQuotas;
}

export interface TenantConfig {
  id: string;
  /** SHA-256 hex digests of the tenant's API keys, optionally prefixed "sha256:". */
  keys: string[];
  quotas?: Partial<{
    concurrent_jobs: number;
    images_per_job: number;
    upload_bytes: number;
    uploads: number;
    upload_total_bytes: number;
  }>;
}

const TENANT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export class ApiKeyAuthenticator {
  private readonly byHash = new Map<string, Tenant>();
  /** Failed attempts per peer and key prefix (auth-throttle.ts); checked before every lookup. */
  readonly throttle: AuthThrottle;

  constructor(tenants: TenantConfig[], throttle: AuthThrottleOptions = {}) {
    this.throttle = new AuthThrottle(throttle);
    const seen = new Set<string>();
    for (const t of tenants) {
      if (typeof t.id !== "string" || !TENANT_ID.test(t.id) || t.id === "." || t.id === "..")
        throw new Error(`api keys: tenant id must be 1-64 characters of [A-Za-z0-9._-], got ${t.id}`);
      if (seen.has(t.id)) throw new Error(`api keys: tenant ${t.id} is listed twice`);
      seen.add(t.id);
      const quotas: TenantQuotas = {
        concurrentJobs: positive(t.quotas?.concurrent_jobs, DEFAULT_QUOTAS.concurrentJobs, t.id),
        imagesPerJob: positive(t.quotas?.images_per_job, DEFAULT_QUOTAS.imagesPerJob, t.id),
        ...(t.quotas?.upload_bytes !== undefined
          ? { uploadBytes: positive(t.quotas.upload_bytes, 1, t.id) }
          : {}),
        ...(t.quotas?.uploads !== undefined ? { uploads: positive(t.quotas.uploads, 1, t.id) } : {}),
        ...(t.quotas?.upload_total_bytes !== undefined
          ? { uploadTotalBytes: positive(t.quotas.upload_total_bytes, 1, t.id) }
          : {}),
      };
      if (!Array.isArray(t.keys) || t.keys.length === 0)
        throw new Error(`api keys: tenant ${t.id} has no keys`);
      for (const raw of t.keys) {
        const h = String(raw)
          .toLowerCase()
          .replace(/^sha256:/, "");
        if (!HEX64.test(h))
          throw new Error(
            `api keys: tenant ${t.id}: keys must be SHA-256 hex digests (never the key itself), got ${JSON.stringify(String(raw).slice(0, 8))}…`,
          );
        if (this.byHash.has(h)) throw new Error(`api keys: the same key hash is listed twice`);
        this.byHash.set(h, { id: t.id, quotas });
      }
    }
  }

  static async fromFile(path: string): Promise<ApiKeyAuthenticator> {
    let doc: { tenants?: TenantConfig[] };
    try {
      doc = JSON.parse(await readFile(path, "utf8")) as { tenants?: TenantConfig[] };
    } catch (e) {
      throw new Error(`api keys: cannot read ${path}: ${(e as Error).message}`);
    }
    if (!doc || !Array.isArray(doc.tenants)) throw new Error(`api keys: ${path} needs a "tenants" array`);
    return new ApiKeyAuthenticator(doc.tenants);
  }

  /** A single tenant with one key given in clear (development: `adq serve` without a key file). */
  static single(tenantId: string, apiKey: string, quotas?: TenantConfig["quotas"]): ApiKeyAuthenticator {
    return new ApiKeyAuthenticator([
      { id: tenantId, keys: [hashApiKey(apiKey)], ...(quotas ? { quotas } : {}) },
    ]);
  }

  get tenantCount(): number {
    return new Set([...this.byHash.values()].map((t) => t.id)).size;
  }

  /**
   * The caller's tenant from `authorization: Bearer <key>`; `peer` (grpc's `call.getPeer()`)
   * keys the throttle. @throws RpcError UNAUTHENTICATED, RESOURCE_EXHAUSTED (throttled)
   */
  authenticate(metadata: grpc.Metadata, peer?: string): Tenant {
    const values = metadata.get("authorization");
    const raw = values.length === 1 ? String(values[0]) : undefined;
    const m = raw === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(raw);
    const presented = m?.[1];
    this.throttle.check(peer, presented);
    if (values.length === 0) {
      this.throttle.fail(peer, undefined, "missing");
      throw unauthenticated("missing API key: send metadata `authorization: Bearer <api key>`");
    }
    if (values.length > 1 || !presented) {
      this.throttle.fail(peer, undefined, "malformed");
      if (values.length > 1) throw unauthenticated("more than one authorization header");
      throw unauthenticated("authorization metadata must be `Bearer <api key>`");
    }
    const tenant = this.byHash.get(hashApiKey(presented));
    if (!tenant) {
      this.throttle.fail(peer, presented, "unknown_key");
      throw unauthenticated("unknown API key");
    }
    return tenant;
  }
}

function positive(v: unknown, fallback: number, tenant: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1)
    throw new Error(`api keys: tenant ${tenant}: quotas must be positive integers, got ${JSON.stringify(v)}`);
  return v;
}
