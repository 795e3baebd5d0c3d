/**
 * Per-tenant data grants: which data sets a tenant's jobs may name (SECURITY.md, "Data grants").
 *
 * The API-key file lists them per tenant:
 *
 *     { "id": "alpha", "keys": ["…"], "data": [
 *         { "root": "/srv/data/alpha" },
 *         { "s3": "s3://alpha-data/sets/", "credentials_file": "/etc/adq/s3/alpha.json" } ] }
 *
 * A file grant is a directory (resolved through symlinks once, at load); an S3 grant is a
 * bucket and key prefix, read with the credentials in its file (JSON: access_key_id,
 * secret_access_key, optional session_token) or, without one, the server's standard AWS chain.
 * Once any tenant lists `data`, the file is in grant mode: every tenant may name exactly its
 * grants (and its own uploads), `--data-root` no longer applies to tenants, and a root shared
 * by several tenants is one that each of them lists.
 *
 * A data set is checked before a byte of it is read: the URI as written must lie under a
 * grant (so nothing is revealed about data outside the grants, not even whether it exists);
 * a file path is checked again after following symlinks; S3 keys with "." / ".." segments,
 * percent-encoding or backslashes are refused outright (ml/s3.ts parseS3Uri), and brace
 * patterns are checked expansion by expansion. Every refusal is PERMISSION_DENIED naming
 * `dataset.uri`.
 */
import { readFile, realpath } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DatasetError,
  expandBraces,
  isS3Uri,
  parseS3Uri,
  type S3Credentials,
  withS3Credentials,
} from "@adq/ml";
import { type Bus, guardTasks, PermanentTaskError } from "@adq/platform";
import * as grpc from "@grpc/grpc-js";
import { permissionDenied, RpcError } from "./errors.ts";
import { isUnder } from "./resolve.ts";

export type DataGrant =
  | { readonly kind: "file"; readonly root: string }
  | {
      readonly kind: "s3";
      readonly bucket: string;
      /** "" (whole bucket) or ending in "/". */
      readonly prefix: string;
      readonly credentials?: S3Credentials;
    };

/** What a granted data set resolves to: the path or URI to open, and the credentials to open it with. */
export interface GrantedData {
  readonly path: string;
  readonly credentials?: S3Credentials;
}

interface GrantConfig {
  root?: unknown;
  s3?: unknown;
  credentials_file?: unknown;
}

async function readCredentials(file: string, tenant: string): Promise<S3Credentials> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new Error(
      `api keys: tenant ${tenant}: cannot read credentials file ${file}: ${(e as Error).message}`,
    );
  }
  const { access_key_id: id, secret_access_key: secret, session_token: token } = doc;
  if (typeof id !== "string" || typeof secret !== "string" || id === "" || secret === "")
    throw new Error(
      `api keys: tenant ${tenant}: credentials file ${file} needs "access_key_id" and "secret_access_key"`,
    );
  return {
    accessKeyId: id,
    secretAccessKey: secret,
    ...(typeof token === "string" ? { sessionToken: token } : {}),
  };
}

async function parseGrant(g: GrantConfig, tenant: string): Promise<DataGrant> {
  const where = `api keys: tenant ${tenant}: data grant ${JSON.stringify(g)}`;
  if (typeof g.root === "string" && g.s3 === undefined) {
    try {
      return { kind: "file", root: await realpath(resolve(g.root)) };
    } catch {
      throw new Error(`${where}: root ${g.root} does not exist`);
    }
  }
  if (typeof g.s3 === "string" && g.root === undefined) {
    if (!isS3Uri(g.s3)) throw new Error(`${where}: "s3" must be an s3://bucket/prefix URI`);
    let loc: { bucket: string; key: string };
    try {
      loc = parseS3Uri(g.s3);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    const prefix = loc.key === "" || loc.key.endsWith("/") ? loc.key : `${loc.key}/`;
    const file = g.credentials_file;
    if (file !== undefined && typeof file !== "string")
      throw new Error(`${where}: "credentials_file" must be a path`);
    return {
      kind: "s3",
      bucket: loc.bucket,
      prefix,
      ...(file ? { credentials: await readCredentials(resolve(file), tenant) } : {}),
    };
  }
  throw new Error(
    `${where}: a grant is {"root": "/dir"} or {"s3": "s3://bucket/prefix"[, "credentials_file": …]}`,
  );
}

export class DataGrants {
  private constructor(private readonly byTenant: ReadonlyMap<string, readonly DataGrant[]>) {}

  /**
   * The grants of an API-key file, or undefined when no tenant lists `data` (then the server's
   * `--data-root`s apply to every tenant, as before grants existed).
   */
  static async fromApiKeyFile(path: string): Promise<DataGrants | undefined> {
    const doc = JSON.parse(await readFile(path, "utf8")) as { tenants?: { id?: unknown; data?: unknown }[] };
    return DataGrants.fromConfig(doc.tenants ?? []);
  }

  static async fromConfig(
    tenants: readonly { id?: unknown; data?: unknown }[],
  ): Promise<DataGrants | undefined> {
    if (!tenants.some((t) => t.data !== undefined)) return undefined;
    const map = new Map<string, DataGrant[]>();
    for (const t of tenants) {
      const id = String(t.id);
      if (t.data !== undefined && !Array.isArray(t.data))
        throw new Error(`api keys: tenant ${id}: "data" must be a list of grants`);
      const grants: DataGrant[] = [];
      for (const g of (t.data as GrantConfig[] | undefined) ?? []) grants.push(await parseGrant(g, id));
      map.set(id, grants);
    }
    return new DataGrants(map);
  }

  grantsOf(tenant: string): readonly DataGrant[] {
    return this.byTenant.get(tenant) ?? [];
  }

  /**
   * Checks what `tenant` names (`file://` URI, `s3://` URI or — for tasks — a plain path) against
   * its grants. @throws RpcError PERMISSION_DENIED naming `field`, or INVALID_ARGUMENT for a URI
   * that does not parse.
   */
  async authorize(tenant: string, uri: string, field = "dataset.uri"): Promise<GrantedData> {
    const grants = this.grantsOf(tenant);
    const denied = (what: string) =>
      permissionDenied(field, `${what} is not granted to tenant ${tenant} (SECURITY.md, "Data grants")`);
    if (isS3Uri(uri)) {
      let locs: { bucket: string; key: string }[];
      try {
        locs = expandBraces(uri).map((u) => parseS3Uri(u, field));
      } catch (e) {
        // A key that reads differently to S3 and to a person is a trick, not a typo.
        if (e instanceof DatasetError || e instanceof RangeError)
          throw denied(`${uri} (${(e as Error).message})`);
        throw e;
      }
      let grant: DataGrant | undefined;
      for (const loc of locs) {
        // The key as a folder too: a grant of "a/b/" covers "s3://bucket/a/b".
        const g = grants.find(
          (x) =>
            x.kind === "s3" &&
            x.bucket === loc.bucket &&
            (loc.key.startsWith(x.prefix) || `${loc.key}/` === x.prefix),
        );
        if (!g || (grant && g !== grant)) throw denied(uri);
        grant = g;
      }
      const creds = grant?.kind === "s3" ? grant.credentials : undefined;
      return { path: uri, ...(creds ? { credentials: creds } : {}) };
    }
    let path: string;
    if (/^file:/i.test(uri)) {
      try {
        path = fileURLToPath(new URL(uri));
      } catch (e) {
        throw permissionDenied(
          field,
          `${JSON.stringify(uri)} is not a plain file:///abs/path URI (${(e as Error).message})`,
        );
      }
    } else if (uri.startsWith("/")) path = uri;
    else throw permissionDenied(field, `unsupported data set location ${JSON.stringify(uri)}`);
    path = resolve(path);
    const roots = grants.flatMap((g) => (g.kind === "file" ? [g.root] : []));
    const names = path.includes("{") ? expandBraces(path) : [path];
    for (const n of names) {
      // As written first: nothing about paths outside the grants is revealed, not even existence.
      if (!roots.some((r) => isUnder(n, r))) throw denied(path);
      let real: string;
      try {
        real = await realpath(n);
      } catch {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `${field}: ${n} does not exist`, {
          reason: "ERROR_REASON_DATASET_NOT_FOUND",
          fieldViolations: [{ field, description: `${n} does not exist` }],
        });
      }
      // A symbolic link inside a grant that leads out of every grant of this tenant.
      if (!roots.some((r) => isUnder(real, r))) throw denied(`${path} (a link to ${real})`);
      if (names.length === 1) return { path: real };
    }
    return { path };
  }

  /** The credentials for a data set already authorized (the coordinator's and workers' reads). */
  credentialsFor(tenant: string, path: string): S3Credentials | undefined {
    if (!isS3Uri(path)) return undefined;
    const { bucket, key } = parseS3Uri(path.replace(/\{.*$/, ""));
    const g = this.grantsOf(tenant).find(
      (x) => x.kind === "s3" && x.bucket === bucket && (key.startsWith(x.prefix) || `${key}/` === x.prefix),
    );
    return g?.kind === "s3" ? g.credentials : undefined;
  }
}

const TASK_TENANT = /^tenants\/([^/]+)\//;

/**
 * Defence in depth for stage workers: every consumed task that names a data set must write
 * under `tenants/{tenant}/` and name only data granted to that tenant (or the tenant's own
 * uploads under `uploadRoot`), checked here before the handler sees it; the handler then runs
 * with the grant's S3 credentials (ml withS3Credentials). A forged task naming another
 * tenant's data fails permanently (PERMISSION_DENIED), whatever its output prefix claims: it
 * could only write into the namespace of the tenant whose data it names.
 */
export function grantTasks(bus: Bus, grants: DataGrants, opts: { uploadRoot?: string } = {}): Bus {
  const check = async (payload: unknown): Promise<S3Credentials | undefined> => {
    const p = payload as { dataset?: { path?: unknown }; out?: unknown } | null;
    const path = p?.dataset?.path;
    if (typeof path !== "string") return undefined;
    const tenant = typeof p?.out === "string" ? TASK_TENANT.exec(p.out)?.[1] : undefined;
    const refuse = (message: string) =>
      new PermanentTaskError(message, { status: "PERMISSION_DENIED", message, field: "dataset" });
    if (!tenant) throw refuse(`dataset.path: a task naming a data set must write under tenants/{tenant}/`);
    if (opts.uploadRoot && !isS3Uri(path)) {
      const own = resolve(opts.uploadRoot, tenant);
      if (isUnder(resolve(path), own)) {
        const real = await realpath(path).catch(() => "");
        if (real && isUnder(real, own)) return undefined;
      }
    }
    try {
      return (await grants.authorize(tenant, path, "dataset.path")).credentials;
    } catch (e) {
      if (e instanceof RpcError) throw refuse(e.message);
      throw e;
    }
  };
  return guardTasks(bus, async (task, run) => withS3Credentials(await check(task.payload), run));
}
