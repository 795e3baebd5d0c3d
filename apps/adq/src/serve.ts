/**
 * `adq serve`: launches the servers — the gateway + job runner + every stage worker in one
 * process (embedded adapters), the cluster gateway + coordinator on NATS, or one stage worker.
 * The client side (`adq submit`, `adq watch`, `adq result`) is remote.ts.
 */
import { randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  NatsConnectError,
  STAGE_NAMES,
  type StageProcessName,
  startClusterGateway,
  startStageWorker,
} from "@adq/cluster";
import {
  DEFAULT_JOB_LOOKAHEAD,
  DEFAULT_TENANT_GPU_TASKS,
  DEFAULT_TENANT_STAGE_TASKS,
  readRecordKey,
  startAllInOne,
} from "@adq/gateway";
import { type NatsAuthOptions, natsAuthConnectOptions, natsAuthFromEnv, redactUrl } from "@adq/platform/nats";
import {
  ApiKeyAuthenticator,
  DataGrants,
  faultsFromEnv,
  Logger,
  type MetricsServer,
  parseLogLevel,
  processMetrics,
  Registry,
  type ServerSecurity,
  serverSecurity,
  startMetricsServer,
  TlsConfigError,
} from "@adq/service-common";
import { executionProviderOf } from "./execution-provider.ts";
import { DECIMAL_INTEGER, float } from "./numbers.ts";
import { checkWritableDir, UsageError } from "./output-dir.ts";
import { DEFAULT_MAE, DEFAULT_MODEL, GENERAL_MODEL, REPO_ROOT } from "./paths.ts";

/**
 * `builtin://<name>` feature models: the default, its int8 quantization and the general backbone
 * (models/README.md).
 */
const BUILTIN_MODELS = {
  "resnet20-cifar10": DEFAULT_MODEL,
  "resnet20-cifar10-int8": join(REPO_ROOT, "models", "resnet20-cifar10-int8.onnx"),
  "efficientnet-lite0": GENERAL_MODEL,
};

/** `builtin://<name>` MAEs (outputs.reconstruct; the sampling stage's patch scores). */
const BUILTIN_MAES = { "mae-cifar10": DEFAULT_MAE };

export const SERVE_HELP = `  adq serve [--port 50051] [--host 127.0.0.1] [--data-root <dir>]... [--api-keys <file>]
            [--cache-dir <dir>] [--concurrency 2] [--threads n] [--execution-provider cpu|cuda]
            [--log-level info] [--model <onnx>] [--held-out-model <onnx>] [--mae <onnx>]
            [--metrics-port p] [--drain-ms 10000] [--cache-retention-hours 168]
            [--upload-retention-hours 168]
            [--result-retention-hours h] (finished jobs deleted h hours after they end; default kept)
                                       gRPC API + every stage in one process (embedded adapters)
  adq serve --nats <url> [--no-workers] [--no-runner] [same options, no --cache-dir]
            [--tenant-stage-tasks 4] [--tenant-gpu-tasks 2] [--job-lookahead 16]
                                       cluster mode: gateway + coordinator on NATS JetStream
                                       (KV jobs, Object Store artifacts), stages in-process
                                       unless --no-workers
  adq serve --stage <features|binning|scoring|sampling|assemble> --nats <url>
            [--concurrency 1] [--port 5005x] [--metrics-port p] [--threads n] [--drain-ms 20000]
            [--execution-provider cpu|cuda [--require-execution-provider]]
            [--data-root <dir>]... [--model-root <dir>]... [--model <onnx>] [--mae <onnx>]
            [--api-keys <file>]
                                       one stage worker (NATS work queue) + its gRPC stage
                                       (--require-execution-provider: no CPU fallback; an
                                       unusable provider leaves it NOT_SERVING, taking no task)
                                       service (direct calls: datasets under --data-root;
                                       given --data-root, queued tasks are confined too;
                                       with --api-keys each tenant sees only its namespace)
      cluster flags: --namespace adq, --ack-wait-ms 30000 (redelivery after a crash),
      --max-attempts 3 (task deliveries), --retry-backoff-ms 1000,5000,15000,30000,
      --max-job-deliveries 10 (coordinator restarts a job survives),
      --artifact-replicas 1, --artifact-max-bytes b (the artifact Object Store buckets, one per
      writer: JetStream replicas and a byte cap each; give every process of a cluster the same
      values), or --artifact-store
      s3://bucket/prefix (artifacts on S3, the process's AWS identity)
`;

/** Security flags of servers, clients and NATS connections (`adq help`, after the client commands). */
export const SECURITY_HELP = `  security (SECURITY.md):
      servers: --tls-cert <file> --tls-key <file> (re-read when they change) [--tls-client-ca <file>
      (mTLS)]; without TLS only on a loopback --host, or with an explicit --plaintext
      clients:  --tls-ca <file> [--tls-cert <file> --tls-key <file>] [--tls-server-name <name>]
                [$ADQ_TLS_CA, $ADQ_TLS_CERT, $ADQ_TLS_KEY, $ADQ_TLS_SERVER_NAME]; --plaintext
                [$ADQ_PLAINTEXT=1]; default: plaintext to a loopback server, TLS (system roots) otherwise
      NATS:     --nats-creds <file> | --nats-nkey <seed file> | --nats-user <u> --nats-password-file <file>
                | --nats-token-file <file>; --nats-tls-ca/--nats-tls-cert/--nats-tls-key <file>
                [$ADQ_NATS_CREDS, $ADQ_NATS_NKEY, $ADQ_NATS_USER, $ADQ_NATS_PASSWORD_FILE,
                $ADQ_NATS_TOKEN_FILE, $ADQ_NATS_TLS_CA, $ADQ_NATS_TLS_CERT, $ADQ_NATS_TLS_KEY]
      --insecure-nats: accept a NATS server that requires no authentication (refused without it)
      --record-key-file <file> (adq serve --nats): HMAC key binding job records to their tenant
`;

// ---- adq serve ----

/** Default gRPC port of each stage process (`adq serve --stage`). */
const STAGE_PORTS: Record<StageProcessName, number> = {
  features: 50052,
  binning: 50053,
  scoring: 50054,
  sampling: 50055,
  assemble: 50056,
};

/** NATS credentials and TLS: files, never secrets on the command line (`ps` shows those). */
const NATS_AUTH_OPTIONS = {
  "nats-creds": { type: "string" },
  "nats-nkey": { type: "string" },
  "nats-user": { type: "string" },
  "nats-password-file": { type: "string" },
  "nats-token-file": { type: "string" },
  "nats-tls-ca": { type: "string" },
  "nats-tls-cert": { type: "string" },
  "nats-tls-key": { type: "string" },
  // Accept a NATS server that needs no credentials (refused otherwise: ports.ts).
  "insecure-nats": { type: "boolean" },
} as const;

const SERVE_OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  "data-root": { type: "string", multiple: true },
  "api-keys": { type: "string" },
  "cache-dir": { type: "string" },
  model: { type: "string" },
  "held-out-model": { type: "string" },
  mae: { type: "string" },
  "model-root": { type: "string", multiple: true },
  concurrency: { type: "string" },
  threads: { type: "string" },
  "execution-provider": { type: "string" },
  "require-execution-provider": { type: "boolean" },
  "shard-size": { type: "string" },
  "log-level": { type: "string" },
  // cluster mode
  nats: { type: "string" },
  stage: { type: "string" },
  "no-workers": { type: "boolean" },
  "no-runner": { type: "boolean" },
  namespace: { type: "string" },
  "ack-wait-ms": { type: "string" },
  "max-attempts": { type: "string" },
  "max-job-deliveries": { type: "string" },
  "tenant-stage-tasks": { type: "string" },
  "tenant-gpu-tasks": { type: "string" },
  "job-lookahead": { type: "string" },
  "retry-backoff-ms": { type: "string" },
  "metrics-port": { type: "string" },
  "metrics-host": { type: "string" },
  "drain-ms": { type: "string" },
  "cache-retention-hours": { type: "string" },
  "upload-retention-hours": { type: "string" },
  "result-retention-hours": { type: "string" },
  "artifact-replicas": { type: "string" },
  "artifact-max-bytes": { type: "string" },
  "artifact-store": { type: "string" },
  // security (SECURITY.md)
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-client-ca": { type: "string" },
  plaintext: { type: "boolean" },
  ...NATS_AUTH_OPTIONS,
  "record-key-file": { type: "string" },
} as const;

type ServeValues = ReturnType<typeof parseServeArgs>["values"];

function parseServeArgs(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: SERVE_OPTIONS });
}

async function authenticator(values: ServeValues): Promise<ApiKeyAuthenticator> {
  if (values["api-keys"]) return ApiKeyAuthenticator.fromFile(resolve(values["api-keys"]));
  const fromEnv = process.env.ADQ_API_KEY;
  const key = fromEnv || randomBytes(18).toString("base64url");
  process.stderr.write(
    fromEnv
      ? "adq serve: no --api-keys file; tenant 'default' accepts the key in $ADQ_API_KEY\n"
      : `adq serve: no --api-keys file; tenant 'default' accepts the generated key ${key}\n`,
  );
  return ApiKeyAuthenticator.single("default", key);
}

/**
 * The per-tenant data grants of the --api-keys file (its tenants' "data" lists), or undefined
 * when it has none (then --data-root applies to every tenant).
 */
async function dataGrants(values: ServeValues): Promise<DataGrants | undefined> {
  if (!values["api-keys"]) return undefined;
  try {
    return await DataGrants.fromApiKeyFile(resolve(values["api-keys"]));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once with status 1. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveStop) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.once("SIGINT", () => process.exit(1));
      process.once("SIGTERM", () => process.exit(1));
      resolveStop(sig);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** Closes within the drain deadline (plus a margin); exits if something keeps the loop alive. */
async function shutdown(close: () => Promise<void>, drainMs: number): Promise<number> {
  const hard = setTimeout(() => {
    process.stderr.write("adq serve: shutdown took too long, exiting\n");
    process.exit(1);
  }, drainMs + 15_000);
  hard.unref();
  await close();
  clearTimeout(hard);
  // Native handles (ONNX Runtime threads, sockets in teardown) must not hold the process.
  setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  return 0;
}

export async function runServe(argv: string[]): Promise<number> {
  const { values, positionals } = parseServeArgs(argv);
  if (positionals.length > 0)
    throw new UsageError(`serve takes no positional arguments, got ${positionals[0]}`);
  const log = new Logger(process.stderr, {}, parseLogLevel(values["log-level"]));
  if (values.stage !== undefined) return natsFailure(() => runStageProcess(values, log));
  if (values["require-execution-provider"] !== undefined)
    throw new UsageError("--require-execution-provider applies to a stage process (--stage) only");
  if (values.nats !== undefined) return natsFailure(() => runClusterGateway(values, log));
  const clusterOnly = [
    "no-workers",
    "no-runner",
    "namespace",
    "ack-wait-ms",
    "max-attempts",
    "retry-backoff-ms",
    "max-job-deliveries",
    "record-key-file",
    ...(Object.keys(NATS_AUTH_OPTIONS) as Array<keyof typeof NATS_AUTH_OPTIONS>),
  ] as const;
  for (const flag of clusterOnly)
    if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --nats <url> (cluster mode)`);
  const port = int("port", values.port, 50051, 0);
  const host = values.host ?? "127.0.0.1";
  const security = serverCredentials(values, `${host}:${port}`, log);
  const auth = await authenticator(values);
  const grants = await dataGrants(values);
  const dataRoots = (values["data-root"] ?? [process.cwd()]).map((r) => resolve(r));
  const cacheDir = resolve(
    values["cache-dir"] ?? process.env.ADQ_CACHE_DIR ?? join(homedir(), ".cache", "adq", "server"),
  );
  await checkWritableDir(cacheDir, "the cache directory"); // fails at start, not on the first job
  const model = resolve(values.model ?? DEFAULT_MODEL);
  const heldOutModel = resolve(values["held-out-model"] ?? GENERAL_MODEL);
  const concurrency = int("concurrency", values.concurrency, 2, 1);
  const threads = values.threads === undefined ? undefined : int("threads", values.threads, 0, 1);
  const shardSize =
    values["shard-size"] === undefined ? undefined : int("shard-size", values["shard-size"], 0, 1);
  const drainMs = int("drain-ms", values["drain-ms"], 10_000, 0);
  const registry = values["metrics-port"] === undefined ? undefined : new Registry();
  if (registry) processMetrics(registry, "all-in-one");
  const srv = await startAllInOne({
    address: `${host}:${port}`,
    credentials: security.credentials,
    ...cacheRetention(values),
    ...uploadRetention(values),
    auth,
    dataRoots,
    ...(grants ? { grants } : {}),
    cacheDir,
    defaultModel: model,
    heldOutModel,
    // The default-model rule's general backbone, as `adq compress` picks it; `--model` names one for every job.
    ...(values.model === undefined ? { generalModel: GENERAL_MODEL } : {}),
    builtinModels: BUILTIN_MODELS,
    defaultMae: resolve(values.mae ?? DEFAULT_MAE),
    builtinMaes: BUILTIN_MAES,
    ...(values["model-root"] ? { modelRoots: values["model-root"] } : {}),
    concurrency,
    ...(threads ? { threads } : {}),
    ...executionProviderOption(values),
    ...(shardSize ? { shardSize } : {}),
    ...(registry ? { metrics: registry } : {}),
    log,
  });
  let metrics: MetricsServer | undefined;
  if (registry)
    metrics = await startMetricsServer(
      registry,
      int("metrics-port", values["metrics-port"], 0, 0),
      values["metrics-host"] ?? host,
    );
  process.stdout.write(
    `adq serve: listening on ${srv.address} (${security.mode}; data roots: ${dataRoots.join(", ")}; cache: ${cacheDir}${metrics ? `; metrics: ${metrics.url}` : ""})\n`,
  );
  await untilSignal();
  process.stderr.write("adq serve: shutting down\n");
  return shutdown(async () => {
    await srv.close(drainMs);
    await metrics?.close();
  }, drainMs);
}

/** Server credentials for `address` from --tls-cert/--tls-key/--tls-client-ca/--plaintext. */
function serverCredentials(values: ServeValues, address: string, log: Logger): ServerSecurity {
  const cert = values["tls-cert"];
  const key = values["tls-key"];
  const ca = values["tls-client-ca"];
  if (Boolean(cert) !== Boolean(key))
    throw new UsageError("--tls-cert and --tls-key go together (the server certificate and its key)");
  if (ca && !cert) throw new UsageError("--tls-client-ca (mTLS) needs --tls-cert and --tls-key");
  try {
    const sec = serverSecurity(
      address,
      {
        tls: cert
          ? { certFile: resolve(cert), keyFile: resolve(key!), ...(ca ? { clientCaFile: resolve(ca) } : {}) }
          : undefined,
        plaintext: values.plaintext,
      },
      log,
    );
    if (sec.mode === "plaintext")
      log.info("grpc_plaintext", {
        address,
        why: values.plaintext ? "--plaintext" : "loopback address (no other machine can connect)",
      });
    return sec;
  } catch (e) {
    if (e instanceof TlsConfigError) throw new UsageError(e.message);
    throw e;
  }
}

/** NATS credentials/TLS from the --nats-* flags and $ADQ_NATS_*; refuses bad combinations early. */
function natsAuth(values: ServeValues): NatsAuthOptions {
  const a = natsAuthFromEnv({
    ...(values["nats-creds"] ? { credsFile: resolve(values["nats-creds"]) } : {}),
    ...(values["nats-nkey"] ? { nkeySeedFile: resolve(values["nats-nkey"]) } : {}),
    ...(values["nats-user"] !== undefined ? { user: values["nats-user"] } : {}),
    ...(values["nats-password-file"] ? { passwordFile: resolve(values["nats-password-file"]) } : {}),
    ...(values["nats-token-file"] ? { tokenFile: resolve(values["nats-token-file"]) } : {}),
    ...(values["nats-tls-ca"] ? { tlsCaFile: resolve(values["nats-tls-ca"]) } : {}),
    ...(values["nats-tls-cert"] ? { tlsCertFile: resolve(values["nats-tls-cert"]) } : {}),
    ...(values["nats-tls-key"] ? { tlsKeyFile: resolve(values["nats-tls-key"]) } : {}),
  });
  try {
    natsAuthConnectOptions(a);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^([a-z-]+): /, "--$1: "));
  }
  return a;
}

/** A NATS connection failure is one line on stderr (no stack, no secret) and exit status 1. */
async function natsFailure(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof NatsConnectError)) throw e;
    process.stderr.write(`adq serve: ${e.message}\n`);
    return 1;
  }
}

function executionProviderOption(values: ServeValues) {
  const ep = executionProviderOf(values["execution-provider"]);
  return ep ? { executionProvider: ep } : {};
}

function clusterCommon(values: ServeValues) {
  const backoff = values["retry-backoff-ms"];
  return {
    nats: values.nats!,
    natsAuth: natsAuth(values),
    ...(values["insecure-nats"] ? { insecureNats: true } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values["ack-wait-ms"] !== undefined
      ? { ackWaitMs: int("ack-wait-ms", values["ack-wait-ms"], 0, 100) }
      : {}),
    ...(values["max-attempts"] !== undefined
      ? { maxAttempts: int("max-attempts", values["max-attempts"], 0, 1) }
      : {}),
    ...(backoff !== undefined
      ? { retryBackoffMs: backoff.split(",").map((v) => int("retry-backoff-ms", v, 0, 0)) }
      : {}),
    ...(values.threads !== undefined ? { threads: int("threads", values.threads, 0, 1) } : {}),
    ...executionProviderOption(values),
    ...(values["metrics-port"] !== undefined
      ? { metricsPort: int("metrics-port", values["metrics-port"], 0, 0) }
      : {}),
    metricsHost: values["metrics-host"] ?? values.host ?? "127.0.0.1",
    faults: faultsFromEnv(),
    ...artifactLimits(values),
  };
}

/**
 * `--artifact-replicas n`, `--artifact-max-bytes b`: the artifact Object Store's replicas and cap;
 * `--artifact-store s3://bucket/prefix`: the artifacts on S3 instead.
 */
function artifactLimits(values: ServeValues): {
  artifacts?: { replicas?: number; maxBytes?: number; s3?: string };
} {
  const replicas = values["artifact-replicas"];
  const maxBytes = values["artifact-max-bytes"];
  const store = values["artifact-store"];
  if (store !== undefined) {
    if (!/^s3:\/\//i.test(store))
      throw new UsageError(
        `--artifact-store must be s3://bucket/prefix (default: the NATS Object Store), got ${store}`,
      );
    if (replicas !== undefined || maxBytes !== undefined)
      throw new UsageError(
        "--artifact-replicas and --artifact-max-bytes are for the NATS Object Store, not --artifact-store s3://",
      );
    return { artifacts: { s3: store } };
  }
  if (replicas === undefined && maxBytes === undefined) return {};
  return {
    artifacts: {
      ...(replicas !== undefined ? { replicas: int("artifact-replicas", replicas, 0, 1) } : {}),
      ...(maxBytes !== undefined ? { maxBytes: int("artifact-max-bytes", maxBytes, 0, 1) } : {}),
    },
  };
}

/** `adq serve --nats <url>`: gateway + coordinator (+ every stage unless --no-workers). */
async function runClusterGateway(values: ServeValues, log: Logger): Promise<number> {
  if (values["cache-dir"] !== undefined)
    throw new UsageError(
      "--cache-dir is for the embedded mode: with --nats, artifacts live in the Object Store",
    );
  const port = int("port", values.port, 50051, 0);
  const host = values.host ?? "127.0.0.1";
  const drainMs = int("drain-ms", values["drain-ms"], 10_000, 0);
  const security = serverCredentials(values, `${host}:${port}`, log);
  let recordKey: Buffer | undefined;
  if (values["record-key-file"]) {
    try {
      recordKey = readRecordKey(resolve(values["record-key-file"]));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  } else
    log.warn("job_records_unsigned", {
      hint: "without --record-key-file, whoever can write the NATS KV bucket can re-point job records to another tenant (SECURITY.md)",
    });
  const auth = await authenticator(values);
  const grants = await dataGrants(values);
  const dataRoots = (values["data-root"] ?? [process.cwd()]).map((r) => resolve(r));
  const srv = await startClusterGateway({
    ...clusterCommon(values),
    credentials: security.credentials,
    ...(recordKey ? { recordKey } : {}),
    ...cacheRetention(values),
    ...uploadRetention(values),
    address: `${host}:${port}`,
    auth,
    dataRoots,
    ...(grants ? { grants } : {}),
    defaultModel: resolve(values.model ?? DEFAULT_MODEL),
    heldOutModel: resolve(values["held-out-model"] ?? GENERAL_MODEL),
    ...(values.model === undefined ? { generalModel: GENERAL_MODEL } : {}),
    builtinModels: BUILTIN_MODELS,
    defaultMae: resolve(values.mae ?? DEFAULT_MAE),
    builtinMaes: BUILTIN_MAES,
    ...(values["model-root"] ? { modelRoots: values["model-root"] } : {}),
    runner: !values["no-runner"],
    workers: !values["no-workers"],
    concurrency: int("concurrency", values.concurrency, 2, 1),
    // Fair share between tenants (packages/stages/src/fair-share.ts)
    tenantStageTasks: int("tenant-stage-tasks", values["tenant-stage-tasks"], DEFAULT_TENANT_STAGE_TASKS, 1),
    tenantGpuTasks: int("tenant-gpu-tasks", values["tenant-gpu-tasks"], DEFAULT_TENANT_GPU_TASKS, 1),
    // Fair admission of queued jobs between tenants (services/gateway/admission.ts)
    jobLookahead: int("job-lookahead", values["job-lookahead"], DEFAULT_JOB_LOOKAHEAD, 0),
    ...(values["shard-size"] !== undefined
      ? { shardSize: int("shard-size", values["shard-size"], 0, 1) }
      : {}),
    ...(values["max-job-deliveries"] !== undefined
      ? { maxJobDeliveries: int("max-job-deliveries", values["max-job-deliveries"], 0, 1) }
      : {}),
    log,
  });
  const parts = [
    security.mode,
    `nats: ${values.nats!.split(",").map(redactUrl).join(",")}`,
    `data roots: ${dataRoots.join(", ")}`,
    values["no-runner"] ? "no coordinator" : "coordinator",
    values["no-workers"] ? "no stage workers" : "every stage worker",
    ...(srv.metrics ? [`metrics: ${srv.metrics.url}`] : []),
  ];
  process.stdout.write(`adq serve: listening on ${srv.address} (${parts.join("; ")})\n`);
  const sig = await untilSignal();
  process.stderr.write(`adq serve: shutting down (${sig})\n`);
  return shutdown(() => srv.close(drainMs), drainMs);
}

/** `adq serve --stage <name> --nats <url>`: one stage worker process. */
async function runStageProcess(values: ServeValues, log: Logger): Promise<number> {
  const stage = values.stage as StageProcessName;
  if (!STAGE_NAMES.includes(stage))
    throw new UsageError(
      `--stage must be one of ${STAGE_NAMES.join(", ")}, got ${JSON.stringify(values.stage)}`,
    );
  if (!values.nats)
    throw new UsageError("--stage needs --nats <url>: a stage process takes its work from NATS");
  for (const flag of [
    "cache-dir",
    "no-workers",
    "no-runner",
    "shard-size",
    "cache-retention-hours",
    "upload-retention-hours",
    "result-retention-hours",
    "record-key-file",
  ] as const)
    if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to a stage process`);
  const auth = values["api-keys"]
    ? await ApiKeyAuthenticator.fromFile(resolve(values["api-keys"]))
    : undefined;
  if (!auth)
    log.warn("stage_rpc_unauthenticated", {
      hint: "direct stage calls are trusted and see the whole artifact store; pass --api-keys to confine each tenant",
    });
  const stageGrants = await dataGrants(values);
  const port = int("port", values.port, STAGE_PORTS[stage], 0);
  const host = values.host ?? "127.0.0.1";
  const drainMs = int("drain-ms", values["drain-ms"], 20_000, 0);
  const security = serverCredentials(values, `${host}:${port}`, log);
  const w = await startStageWorker({
    ...clusterCommon(values),
    credentials: security.credentials,
    stage,
    address: `${host}:${port}`,
    concurrency: int("concurrency", values.concurrency, 1, 1),
    ...(values["require-execution-provider"] ? { requireExecutionProvider: true } : {}),
    log,
    dataRoots: values["data-root"] ?? [],
    ...(stageGrants ? { grants: stageGrants } : {}),
    ...(process.env.ADQ_UPLOAD_ROOT ? { uploadRoot: process.env.ADQ_UPLOAD_ROOT } : {}),
    modelRoots: values["model-root"] ?? [],
    defaultModel: resolve(values.model ?? DEFAULT_MODEL),
    builtinModels: BUILTIN_MODELS,
    defaultMae: resolve(values.mae ?? DEFAULT_MAE),
    builtinMaes: BUILTIN_MAES,
    ...(auth ? { auth } : {}),
  });
  process.stdout.write(
    `adq serve: stage ${stage} listening on ${w.address} (${security.mode}; nats: ${values.nats!.split(",").map(redactUrl).join(",")}${w.metrics ? `; metrics: ${w.metrics.url}` : ""})\n`,
  );
  const sig = await untilSignal();
  process.stderr.write(`adq serve: stage ${stage} shutting down (${sig})\n`);
  return shutdown(() => w.close(drainMs), drainMs);
}

/** `--upload-retention-hours h`: an upload no job used for h hours is deleted. */
function uploadRetention(values: ServeValues): { uploadRetentionMs?: number } {
  const h = float("upload-retention-hours", values["upload-retention-hours"]);
  if (h === undefined) return {};
  if (!(h > 0)) throw new UsageError(`--upload-retention-hours must be > 0, got ${h}`);
  return { uploadRetentionMs: h * 3600_000 };
}

/** `--cache-retention-hours h`: stage outputs are reused for h to 2h hours, then deleted. */
function cacheRetention(values: ServeValues): { cacheRetentionMs?: number; resultRetentionMs?: number } {
  const h = float("cache-retention-hours", values["cache-retention-hours"]);
  if (h !== undefined && !(h > 0)) throw new UsageError(`--cache-retention-hours must be > 0, got ${h}`);
  // `--result-retention-hours h`: finished jobs (record, artifacts, result) are deleted h hours after they end.
  const r = float("result-retention-hours", values["result-retention-hours"]);
  if (r !== undefined && !(r > 0)) throw new UsageError(`--result-retention-hours must be > 0, got ${r}`);
  return {
    ...(h !== undefined ? { cacheRetentionMs: h * 3600_000 } : {}),
    ...(r !== undefined ? { resultRetentionMs: r * 3600_000 } : {}),
  };
}

function int(flag: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const x = DECIMAL_INTEGER.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(x) || x < min)
    throw new UsageError(`--${flag} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return x;
}
