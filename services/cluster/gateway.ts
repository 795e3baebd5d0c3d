/**
 * The gateway + coordinator process of the cluster (`adq serve --nats <url>`): the public
 * CompressionService and the job runner over the NATS JetStream adapters (job records and
 * the idempotency index in KV buckets, artifacts in the Object Store, the NatsBus), with
 * every stage worker in the same process unless `workers: false` (`--no-workers`: the
 * stages run as `adq serve --stage …` processes).
 *
 * Coordinator restarts: the job runner takes a job off the `jobs` work queue and keeps
 * that message in progress (heartbeats) while the job runs. If the process dies, the
 * message is redelivered after the queue's ack wait to a live runner (or to this one
 * restarted), which claims the RUNNING job again and re-runs `runCompression`: stage
 * outputs already stored are reused (content-addressed under the job's cache generation), `fanOut` replays
 * the outcomes of tasks that finished meanwhile (`onOutcome(…, { jobId, replay: true })`)
 * and re-published tasks still queued are dropped as duplicates.
 */

import {
  gatewayMetrics,
  gatewayModels,
  JOB_QUEUE,
  type ModelFlags,
  type RunningGateway,
  SignedJobStore,
  startGateway,
} from "@adq/gateway";
import type { ExecutionProvider } from "@adq/ml";
import type { NatsAuthOptions } from "@adq/platform/nats";
import type { ApiKeyAuthenticator, DataGrants, Logger } from "@adq/service-common";
import {
  type FaultInjection,
  grantTasks,
  InstrumentedBus,
  type MetricsServer,
  processMetrics,
  Registry,
  startMetricsServer,
  taskMetrics,
} from "@adq/service-common";
import { ModelCache, registerStageWorkers } from "@adq/stages";
import type * as grpc from "@grpc/grpc-js";
import { natsMetrics, queueMetrics } from "./metrics.ts";
import { type ClusterPorts, type ClusterPortsOptions, natsPortsOptions, openClusterPorts } from "./ports.ts";
import { STAGE_NAMES } from "./stage-services.ts";

export interface ClusterGatewayOptions extends ModelFlags {
  nats: string | string[];
  namespace?: string;
  address: string;
  auth: ApiKeyAuthenticator;
  dataRoots: string[];
  /** Per-tenant data grants (services/common/grants.ts); this process's stage tasks are held to them too. */
  grants?: DataGrants;
  /**
   * Where uploaded datasets are extracted: a volume every gateway, coordinator and
   * features/assemble worker mounts at the same path. Default: $ADQ_UPLOAD_ROOT; neither
   * set: UploadDataset answers UNIMPLEMENTED.
   */
  uploadRoot?: string;
  /** Uploads no job used for this long are deleted (default 7 days). */
  uploadRetentionMs?: number;
  /** Run the job runner (coordinator) here (default true); false: a gateway-only replica. */
  runner?: boolean;
  /** Run every stage worker here too (default true). */
  workers?: boolean;
  /** Jobs run at once by this coordinator. */
  concurrency?: number;
  /** Fair share: outstanding tasks per tenant per stage / per GPU stage (RunnerOptions). */
  tenantStageTasks?: number;
  tenantGpuTasks?: number;
  /** Queued jobs held beyond `concurrency` to admit fairly between tenants (RunnerOptions.jobLookahead). */
  jobLookahead?: number;
  shardSize?: number;
  maxAttempts?: number;
  maxJobDeliveries?: number;
  ackWaitMs?: number;
  retryBackoffMs?: number[];
  threads?: number;
  /** ONNX Runtime execution provider; "cuda" falls back to CPU with one warn line when absent. */
  executionProvider?: ExecutionProvider;
  metricsPort?: number;
  metricsHost?: string;
  faults?: FaultInjection;
  watchPollMs?: number;
  progressIntervalMs?: number;
  /** Stage-cache retention period (services/gateway/cache-gc.ts); default 7 days. */
  cacheRetentionMs?: number;
  /** Finished jobs are deleted this long after they ended (cache-gc.ts sweepResults); default never. */
  resultRetentionMs?: number;
  /** Artifact Object Store replicas and byte cap (ports.ts). */
  artifacts?: ClusterPortsOptions["artifacts"];
  log: Logger;
  /** Server credentials (TLS, common/tls.ts); default plaintext. */
  credentials?: grpc.ServerCredentials;
  /** NATS credentials and TLS (never logged). */
  natsAuth?: NatsAuthOptions;
  /** Accept a NATS server without authentication (`--insecure-nats`, ports.ts). */
  insecureNats?: boolean;
  /**
   * HMAC key of job and idempotency records (`--record-key-file`, gateway/signed-store.ts):
   * records without a valid signature are treated as absent.
   */
  recordKey?: Buffer;
}

export interface RunningClusterGateway extends RunningGateway {
  ports: ClusterPorts;
  metrics: MetricsServer | undefined;
  registry: Registry;
}

export async function startClusterGateway(o: ClusterGatewayOptions): Promise<RunningClusterGateway> {
  const role = o.runner === false ? "gateway" : "coordinator";
  const log = o.log.child({ service: role === "gateway" ? "gateway" : "gateway-coordinator" });
  const ports = await openClusterPorts({
    nats: o.nats,
    name: `adq-${role}`,
    kv: true,
    log,
    ...natsPortsOptions(o),
  });
  // Every stage's queue exists before the first job, made here and never by a worker:
  // autoscalers read each consumer's lag from the start, and workers need no right to
  // create or re-point a consumer.
  try {
    await ports.bus.ensureStageConsumers(STAGE_NAMES, { maxAttempts: o.maxAttempts ?? 3 });
    await ports.bus.ensureStageConsumers([JOB_QUEUE], { maxAttempts: o.maxJobDeliveries ?? 10 });
  } catch (e) {
    await ports.close(1000);
    throw e;
  }
  const registry = new Registry();
  processMetrics(registry, role);
  natsMetrics(registry, ports);
  const withWorkers = o.workers !== false;
  queueMetrics(registry, ports.bus, [JOB_QUEUE, ...(withWorkers ? STAGE_NAMES : [])]);
  const gm = gatewayMetrics(registry);
  let workers: ReturnType<typeof registerStageWorkers> | undefined;
  let workerBus: InstrumentedBus | undefined;
  if (withWorkers) {
    workerBus = new InstrumentedBus(ports.bus, {
      log: log.child({ component: "worker" }),
      metrics: taskMetrics(registry),
      ...(o.faults ? { faults: o.faults } : {}),
    });
    const uploadRoot = o.uploadRoot ?? process.env.ADQ_UPLOAD_ROOT;
    workers = registerStageWorkers(
      o.grants ? grantTasks(workerBus, o.grants, uploadRoot ? { uploadRoot } : {}) : workerBus,
      {
        store: ports.store,
        maxAttempts: o.maxAttempts ?? 3,
        models: new ModelCache({
          ...(o.threads ? { threads: o.threads } : {}),
          ...(o.executionProvider ? { executionProvider: o.executionProvider } : {}),
          warn: (message) => log.warn("execution_provider_fallback", { message }),
        }),
      },
    );
  }
  let gw: RunningGateway;
  let metrics: MetricsServer | undefined;
  try {
    gw = await startGateway({
      address: o.address,
      jobs: o.recordKey
        ? new SignedJobStore(ports.jobs!, o.recordKey, "jobs", log, { tombstones: true })
        : ports.jobs!,
      idempotency: o.recordKey
        ? new SignedJobStore(ports.idempotency!, o.recordKey, "idempotency", log)
        : ports.idempotency!,
      bus: ports.bus,
      store: ports.store,
      auth: o.auth,
      dataRoots: o.dataRoots,
      ...(o.grants ? { grants: o.grants } : {}),
      ...(o.credentials ? { credentials: o.credentials } : {}),
      ...(o.uploadRetentionMs ? { uploadRetentionMs: o.uploadRetentionMs } : {}),
      ...((o.uploadRoot ?? process.env.ADQ_UPLOAD_ROOT)
        ? { uploadRoot: (o.uploadRoot ?? process.env.ADQ_UPLOAD_ROOT)! }
        : {}),
      models: gatewayModels(o),
      log,
      runner:
        o.runner === false
          ? false
          : {
              concurrency: o.concurrency ?? 2,
              // A job's claim lapses when its queue message is redelivered (same ack wait), so a
              // crashed coordinator's jobs resume after one ack wait, not later.
              claimTtlMs: o.ackWaitMs ?? 30_000,
              // One fair-share window per tenant and stage for all coordinators together.
              ...(ports.leases ? { leases: ports.leases } : {}),
              ...(o.tenantStageTasks ? { tenantStageTasks: o.tenantStageTasks } : {}),
              ...(o.tenantGpuTasks ? { tenantGpuTasks: o.tenantGpuTasks } : {}),
              ...(o.jobLookahead !== undefined ? { jobLookahead: o.jobLookahead } : {}),
              ...(o.shardSize ? { shardSize: o.shardSize } : {}),
              ...(o.maxAttempts ? { maxTaskAttempts: o.maxAttempts } : {}),
              ...(o.maxJobDeliveries ? { maxJobDeliveries: o.maxJobDeliveries } : {}),
              ...(o.progressIntervalMs !== undefined ? { progressIntervalMs: o.progressIntervalMs } : {}),
              ...(o.cacheRetentionMs ? { cacheRetentionMs: o.cacheRetentionMs } : {}),
              ...(o.resultRetentionMs ? { resultRetentionMs: o.resultRetentionMs } : {}),
              onJobEnd: gm.onJobEnd,
            },
      ...(o.watchPollMs ? { watchPollMs: o.watchPollMs } : {}),
      onRpc: gm.onRpc,
    });
    gm.trackRunner(() => gw.runner);
    gm.trackAuth(o.auth);
    if (o.metricsPort !== undefined)
      metrics = await startMetricsServer(registry, o.metricsPort, o.metricsHost);
    await workerBus?.ready();
  } catch (e) {
    await ports.close(1000);
    await workers?.close();
    throw e;
  }
  const gateway = gw;
  let closing = false;
  ports.onStatus((up) => {
    if (!closing) gateway.health.setAll(up ? "SERVING" : "NOT_SERVING");
  });
  log.info("cluster_mode", {
    runner: o.runner !== false,
    workers: withWorkers,
    metrics: metrics?.url,
  });
  let stopping: Promise<void> | undefined;
  return {
    ...gateway,
    ports,
    metrics,
    registry,
    close(deadlineMs = 10_000) {
      stopping ??= (async () => {
        closing = true;
        const t0 = Date.now();
        // Gateway first (NOT_SERVING, running jobs finish or are requeued), then the
        // in-process workers (finish or NAK in-flight tasks), then the connection.
        await gateway.close(deadlineMs);
        await ports.close(Math.max(1000, deadlineMs - (Date.now() - t0)));
        await workers?.close();
        await metrics?.close();
      })();
      return stopping;
    },
  };
}
