/**
 * Starting the gateway: gRPC server with CompressionService + health, the job runner, and
 * an ordered graceful shutdown. `startGateway` takes the ports (any adapters);
 * `startAllInOne` builds the embedded adapters and serves every stage in-process —
 * what `adq serve` runs.
 */
import { mkdir, realpath } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { ExecutionProvider } from "@adq/ml";
import { type Bus, FsArtifactStore, LocalBus, MemoryJobStore } from "@adq/platform";
import type { ApiKeyAuthenticator, DataGrants, Registry } from "@adq/service-common";
import {
  addReflection,
  bindServer,
  closeOnce,
  grantTasks,
  HealthService,
  InstrumentedBus,
  Logger,
  newServer,
  resolveRoots,
  taskMetrics,
} from "@adq/service-common";
import { ModelCache, registerStageWorkers } from "@adq/stages";
import type * as grpc from "@grpc/grpc-js";
import { gatewayMetrics } from "./metrics.ts";
import type { IdempotencyRecord, JobRecord } from "./records.ts";
import { JobRunner, type RunnerOptions } from "./runner.ts";
import { CompressionGateway, type GatewayOptions } from "./service.ts";
import {
  DEFAULT_UPLOAD_LIMITS,
  DEFAULT_UPLOAD_RETENTION_MS,
  type UploadLimits,
  UploadStore,
} from "./upload.ts";

export const SERVICE_NAME = "adq.v1.CompressionService";

export interface StartGatewayOptions
  extends Pick<GatewayOptions, "jobs" | "idempotency" | "bus" | "store" | "auth"> {
  /** host:port; port 0 picks a free one. */
  address: string;
  /** The directories datasets may come from (resolved to real paths here). */
  dataRoots: string[];
  /** Per-tenant data grants (services/common/grants.ts): replace dataRoots for tenants. */
  grants?: DataGrants;
  /**
   * Local directory uploaded datasets are extracted into (`{root}/{tenant}/{upload}/`);
   * in cluster mode a volume shared with the coordinator and the features/assemble
   * workers at the same path. Absent: UploadDataset answers UNIMPLEMENTED.
   */
  uploadRoot?: string;
  uploadLimits?: Partial<UploadLimits>;
  /** Uploads no job used for this long are deleted (default 7 days; swept every ≤ 1 h). */
  uploadRetentionMs?: number;
  models: {
    defaultModel: string | null;
    /** The default of ccs and adq, the methods with a held-out model (services/common/resolve.ts ModelConfig.heldOutModel). */
    heldOutModel?: string | null;
    /** The default for data sets that are not CIFAR-like (ModelConfig.generalModel). */
    generalModel?: string | null;
    builtin?: Record<string, string>;
    roots?: string[];
    /** The MAE for outputs.reconstruct (default file, builtin names). */
    mae?: { default: string | null; builtin?: Record<string, string> };
  };
  imageSize?: number;
  log?: Logger;
  /** Runs the job runner in this process (default true); false for a gateway-only replica. */
  runner?: boolean | Partial<Omit<RunnerOptions, "jobs" | "bus" | "store" | "log">>;
  watchPollMs?: number;
  heartbeatMs?: number;
  credentials?: grpc.ServerCredentials;
  /** Called once per finished gRPC call (metrics). */
  onRpc?: (method: string, code: string, ms: number) => void;
}

export interface RunningGateway {
  port: number;
  address: string;
  server: grpc.Server;
  health: HealthService;
  gateway: CompressionGateway;
  runner: JobRunner | undefined;
  log: Logger;
  /** Graceful shutdown: NOT_SERVING, no new calls, jobs finish or are requeued by the deadline. */
  close(deadlineMs?: number): Promise<void>;
}

export async function startGateway(o: StartGatewayOptions): Promise<RunningGateway> {
  const log = (o.log ?? new Logger()).child({ service: "gateway" });
  const dataRoots = await resolveRoots(o.dataRoots, "data root");
  const modelRoots = await resolveRoots(o.models.roots ?? [], "model root");
  const gwOptions: GatewayOptions = {
    jobs: o.jobs,
    idempotency: o.idempotency,
    bus: o.bus,
    store: o.store,
    auth: o.auth,
    dataRoots,
    ...(o.grants ? { grants: o.grants } : {}),
    models: {
      defaultModel: o.models.defaultModel ? resolve(o.models.defaultModel) : null,
      ...(o.models.heldOutModel ? { heldOutModel: resolve(o.models.heldOutModel) } : {}),
      ...(o.models.generalModel ? { generalModel: resolve(o.models.generalModel) } : {}),
      builtin: o.models.builtin ?? {},
      roots: modelRoots,
      ...(o.models.mae
        ? {
            mae: {
              default: o.models.mae.default ? resolve(o.models.mae.default) : null,
              builtin: o.models.mae.builtin ?? {},
            },
          }
        : {}),
    },
    log,
    ...(o.imageSize ? { imageSize: o.imageSize } : {}),
    ...(o.watchPollMs ? { watchPollMs: o.watchPollMs } : {}),
    ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
    ...(o.onRpc ? { onRpc: o.onRpc } : {}),
  };
  if (o.uploadRoot) {
    await mkdir(o.uploadRoot, { recursive: true });
    gwOptions.uploads = new UploadStore(o.store, await realpath(o.uploadRoot), {
      ...DEFAULT_UPLOAD_LIMITS,
      ...o.uploadLimits,
    });
  }
  const gateway = new CompressionGateway(gwOptions);
  let uploadSweeper: NodeJS.Timeout | undefined;
  const uploads = gwOptions.uploads;
  if (uploads) {
    const retentionMs = o.uploadRetentionMs ?? DEFAULT_UPLOAD_RETENTION_MS;
    if (!(retentionMs > 0)) throw new RangeError(`uploadRetentionMs must be > 0, got ${retentionMs}`);
    let sweeping = false;
    uploadSweeper = setInterval(
      () => {
        if (sweeping) return;
        sweeping = true;
        void (async () => {
          const deleted = await uploads.sweep({ now: Date.now(), retentionMs, jobs: await o.jobs.list() });
          if (deleted.length) log.info("uploads_expired", { uploads: deleted });
        })()
          .catch((e) => log.warn("upload_sweep_failed", { error: e }))
          .finally(() => {
            sweeping = false;
          });
      },
      Math.min(retentionMs / 4, 3600_000),
    );
    uploadSweeper.unref?.();
  }
  const health = new HealthService([SERVICE_NAME]);
  const server = newServer();
  gateway.addTo(server);
  health.addTo(server);
  addReflection(server, [SERVICE_NAME, "grpc.health.v1.Health"]);
  let runner: JobRunner | undefined;
  if (o.runner !== false) {
    runner = new JobRunner({
      jobs: o.jobs,
      bus: o.bus,
      store: o.store,
      log: log.child({ component: "runner" }),
      ...(o.grants ? { grants: o.grants } : {}),
      ...(typeof o.runner === "object" ? o.runner : {}),
    });
    runner.start();
  }
  const port = await bindServer(server, o.address, o.credentials);
  const host = o.address.slice(0, o.address.lastIndexOf(":"));
  const address = `${host}:${port}`;
  health.setAll("SERVING");
  log.info("listening", { address, data_roots: dataRoots });
  return {
    port,
    address,
    server,
    health,
    gateway,
    runner,
    log,
    close: closeOnce({ server, health, log, deadlineMs: 10_000 }, async (deadlineMs) => {
      clearInterval(uploadSweeper);
      await runner?.close(Math.max(0, deadlineMs - 500));
      gateway.drain();
    }),
  };
}

/** A server process's model flags (`--model`, `--held-out-model`, …): gatewayModels() turns them into StartGatewayOptions.models. */
export interface ModelFlags {
  defaultModel: string | null;
  /** The default feature model of ccs and adq, the held-out methods (ModelConfig.heldOutModel). */
  heldOutModel?: string | null;
  /** The default for data sets that are not CIFAR-like (ModelConfig.generalModel). */
  generalModel?: string | null;
  builtinModels?: Record<string, string>;
  modelRoots?: string[];
  /** The MAE for outputs.reconstruct (run by the coordinator), and `builtin://` MAE names. */
  defaultMae?: string | null;
  builtinMaes?: Record<string, string>;
}

/** The gateway's model options from a process's model flags (unset flags stay unset). */
export function gatewayModels(o: ModelFlags): StartGatewayOptions["models"] {
  return {
    defaultModel: o.defaultModel,
    ...(o.heldOutModel ? { heldOutModel: o.heldOutModel } : {}),
    ...(o.generalModel ? { generalModel: o.generalModel } : {}),
    ...(o.builtinModels ? { builtin: o.builtinModels } : {}),
    ...(o.modelRoots ? { roots: o.modelRoots } : {}),
    ...(o.defaultMae !== undefined ? { mae: { default: o.defaultMae, builtin: o.builtinMaes ?? {} } } : {}),
  };
}

export interface AllInOneOptions extends ModelFlags {
  address?: string;
  auth: ApiKeyAuthenticator;
  dataRoots: string[];
  /** Per-tenant data grants (services/common/grants.ts); stage tasks are held to them too. */
  grants?: DataGrants;
  /** Where uploads are extracted; default `{cacheDir}/uploads`. */
  uploadRoot?: string;
  uploadLimits?: Partial<UploadLimits>;
  /** Uploads no job used for this long are deleted (default 7 days). */
  uploadRetentionMs?: number;
  /** Root of the FsArtifactStore: stage-output cache and job results. */
  cacheDir: string;
  /** Stage-cache retention period (services/gateway/cache-gc.ts); default 7 days. */
  cacheRetentionMs?: number;
  /** Finished jobs are deleted this long after they ended (cache-gc.ts sweepResults); default never. */
  resultRetentionMs?: number;
  /** Jobs run at once. */
  concurrency?: number;
  /** ONNX Runtime intra-op threads. */
  threads?: number;
  /** ONNX Runtime execution provider; "cuda" falls back to CPU with one warn line when absent. */
  executionProvider?: ExecutionProvider;
  shardSize?: number;
  log?: Logger;
  watchPollMs?: number;
  heartbeatMs?: number;
  progressIntervalMs?: number;
  /** Tests: decorate the bus the gateway and runner see (workers use the inner one). */
  wrapBus?: (bus: LocalBus) => Bus;
  /** Record gRPC, job and stage-task metrics here (served by the caller on /metrics). */
  metrics?: Registry;
  /** Server credentials (TLS, common/tls.ts); default plaintext. */
  credentials?: grpc.ServerCredentials;
}

export interface AllInOne extends RunningGateway {
  bus: LocalBus;
  store: FsArtifactStore;
  jobs: MemoryJobStore<JobRecord>;
}

/** Gateway + runner + every stage worker in one process, on the embedded adapters. */
export async function startAllInOne(o: AllInOneOptions): Promise<AllInOne> {
  const bus = new LocalBus();
  const store = new FsArtifactStore(resolve(o.cacheDir));
  const jobs = new MemoryJobStore<JobRecord>();
  const idempotency = new MemoryJobStore<IdempotencyRecord>();
  const gm = o.metrics ? gatewayMetrics(o.metrics) : undefined;
  const workerBus = o.metrics
    ? new InstrumentedBus(bus, {
        log: (o.log ?? new Logger()).child({ service: "worker" }),
        metrics: taskMetrics(o.metrics),
      })
    : bus;
  const uploadRoot = o.uploadRoot ?? join(resolve(o.cacheDir), "uploads");
  const workers = registerStageWorkers(
    o.grants ? grantTasks(workerBus, o.grants, { uploadRoot }) : workerBus,
    {
      store,
      models: new ModelCache({
        ...(o.threads ? { threads: o.threads } : {}),
        ...(o.executionProvider ? { executionProvider: o.executionProvider } : {}),
        warn: (message) => (o.log ?? new Logger()).warn("execution_provider_fallback", { message }),
      }),
    },
  );
  let gw: RunningGateway;
  try {
    gw = await startGateway({
      address: o.address ?? "127.0.0.1:50051",
      jobs,
      idempotency,
      bus: o.wrapBus ? o.wrapBus(bus) : bus,
      store,
      auth: o.auth,
      dataRoots: o.dataRoots,
      ...(o.grants ? { grants: o.grants } : {}),
      uploadRoot,
      ...(o.credentials ? { credentials: o.credentials } : {}),
      ...(o.uploadLimits ? { uploadLimits: o.uploadLimits } : {}),
      ...(o.uploadRetentionMs ? { uploadRetentionMs: o.uploadRetentionMs } : {}),
      models: gatewayModels(o),
      ...(o.log ? { log: o.log } : {}),
      runner: {
        concurrency: o.concurrency ?? 2,
        ...(o.threads ? { threads: o.threads } : {}),
        ...(o.shardSize ? { shardSize: o.shardSize } : {}),
        ...(o.progressIntervalMs !== undefined ? { progressIntervalMs: o.progressIntervalMs } : {}),
        ...(o.cacheRetentionMs ? { cacheRetentionMs: o.cacheRetentionMs } : {}),
        ...(o.resultRetentionMs ? { resultRetentionMs: o.resultRetentionMs } : {}),
        ...(gm ? { onJobEnd: gm.onJobEnd } : {}),
      },
      ...(o.watchPollMs ? { watchPollMs: o.watchPollMs } : {}),
      ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
      ...(gm ? { onRpc: gm.onRpc } : {}),
    });
    gm?.trackRunner(() => gw.runner);
    gm?.trackAuth(o.auth);
  } catch (e) {
    await workers.close();
    await bus.close();
    throw e;
  }
  return {
    ...gw,
    bus,
    store,
    jobs,
    async close(deadlineMs = 10_000) {
      await gw.close(deadlineMs);
      await workers.close();
      await bus.close();
    },
  };
}
