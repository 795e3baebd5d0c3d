/**
 * One stage process of the cluster (`adq serve --stage <name> --nats <url>`): a NATS
 * worker on the stage's durable work queue running the stage handler, a small gRPC server
 * (health + the stage's service), Prometheus `/metrics`, JSON logs with job ids, and a
 * graceful shutdown (stop pulling, finish in-flight tasks until the deadline, then abort
 * and NAK them so another worker takes them at once).
 *
 * Data sets are read from the local filesystem paths in the tasks (a volume shared with
 * the gateway, mounted at the same path); feature models likewise; artifacts (stage
 * outputs, results) go through the Object Store. Direct stage RPCs resolve `file://`
 * datasets and models under the process's own roots (`dataRoots`, `modelRoots`).
 */

import { readFile } from "node:fs/promises";
import { cudaProblem, type ExecutionProvider } from "@adq/ml";
import type { NatsAuthOptions } from "@adq/platform/nats";
import type { ApiKeyAuthenticator, DataGrants, Logger } from "@adq/service-common";
import {
  addReflection,
  bindServer,
  closeOnce,
  type FaultInjection,
  grantTasks,
  HealthService,
  InstrumentedBus,
  type MetricsServer,
  newServer,
  processMetrics,
  Registry,
  resolveRoots,
  startMetricsServer,
  taskMetrics,
} from "@adq/service-common";
import { ModelCache, registerStageWorkers } from "@adq/stages";
import type * as grpc from "@grpc/grpc-js";
import { natsMetrics, queueMetrics } from "./metrics.ts";
import { type ClusterPorts, type ClusterPortsOptions, natsPortsOptions, openClusterPorts } from "./ports.ts";
import { addStageService, type StageProcessName, stageServiceName } from "./stage-services.ts";
import { confineTaskPaths, realPaths } from "./task-paths.ts";

export interface StageWorkerProcessOptions {
  stage: StageProcessName;
  nats: string | string[];
  namespace?: string;
  /** gRPC host:port (port 0 picks a free one). */
  address: string;
  /** Tasks run at once by this process. */
  concurrency?: number;
  /** Deliveries of a failing task before it fails the job (the consumer's max_deliver). */
  maxAttempts?: number;
  ackWaitMs?: number;
  retryBackoffMs?: number[];
  /** Artifact Object Store replicas and byte cap: the same as the gateway's (ports.ts). */
  artifacts?: ClusterPortsOptions["artifacts"];
  /** ONNX Runtime intra-op threads. */
  threads?: number;
  /** ONNX Runtime execution provider; "cuda" falls back to CPU with one warn line when absent. */
  executionProvider?: ExecutionProvider;
  /**
   * No fallback (`--require-execution-provider`): when the provider cannot run here (a GPU pod on
   * the CPU-only image, no driver), the stage takes no task and stays NOT_SERVING (not ready),
   * with `adq_execution_provider_ready` 0 and one error line, instead of holding a GPU on CPU.
   */
  requireExecutionProvider?: boolean;
  /** Serve /metrics on this port (0: a free one); undefined: no metrics server. */
  metricsPort?: number;
  metricsHost?: string;
  faults?: FaultInjection;
  log: Logger;
  /** Stage RPCs: roots `file://` datasets must lie under (none: dataset RPCs are UNIMPLEMENTED). */
  dataRoots?: string[];
  /**
   * Per-tenant data grants (the API-key file's `data`): every task naming a data set must name
   * one granted to the tenant it writes for, and is read with that grant's credentials.
   */
  grants?: DataGrants;
  /** Where uploads are extracted (a tenant's own uploads pass the grant check). */
  uploadRoot?: string;
  /** Stage RPCs: the feature model an empty ModelRef means, `builtin://` names, `file://` roots. */
  defaultModel?: string | null;
  builtinModels?: Record<string, string>;
  modelRoots?: string[];
  /** Stage RPCs: the MAE an empty `mae_model` means, and `builtin://` MAEs. */
  defaultMae?: string | null;
  builtinMaes?: Record<string, string>;
  /** Stage RPC callers' API keys; absent: trusted callers, keys name the whole store. */
  auth?: ApiKeyAuthenticator;
  /** Server credentials (TLS, common/tls.ts); default plaintext. */
  credentials?: grpc.ServerCredentials;
  /** NATS credentials and TLS (never logged). */
  natsAuth?: NatsAuthOptions;
  /** Accept a NATS server without authentication (`--insecure-nats`, ports.ts). */
  insecureNats?: boolean;
}

export interface RunningStageWorker {
  stage: StageProcessName;
  address: string;
  port: number;
  metrics: MetricsServer | undefined;
  health: HealthService;
  ports: ClusterPorts;
  registry: Registry;
  /** Graceful stop: NOT_SERVING, stop pulling, in-flight tasks get `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

export async function startStageWorker(o: StageWorkerProcessOptions): Promise<RunningStageWorker> {
  const { stage } = o;
  const log = o.log.child({ service: `worker-${stage}` });
  const ports = await openClusterPorts({
    nats: o.nats,
    name: `adq-worker-${stage}`,
    // Only the artifact buckets this stage reads; writes to its own (artifact-buckets.ts).
    stage,
    log,
    ...natsPortsOptions(o),
  });
  const registry = new Registry();
  processMetrics(registry, `worker-${stage}`);
  natsMetrics(registry, ports);
  queueMetrics(registry, ports.bus, [stage]);
  const bus = new InstrumentedBus(ports.bus, {
    log,
    metrics: taskMetrics(registry),
    ...(o.faults ? { faults: o.faults } : {}),
  });
  if (o.faults?.delayMs || o.faults?.failMessage) log.warn("fault_injection_enabled", { ...o.faults });
  const provider = { stage, provider: o.executionProvider ?? "cpu" };
  const providerReady = registry.gauge(
    "adq_execution_provider_ready",
    "1 while the stage runs on the execution provider it was given; 0 after a fallback to CPU, or when a required provider is unusable (the stage then takes no task)",
  );
  providerReady.set(provider, 1);
  // Checked once at start, on the default feature model: the provider either opens a session or not.
  const unusable =
    o.executionProvider === "cuda" && o.requireExecutionProvider
      ? await cudaProblem(await readFile(o.defaultModel ?? ""))
      : undefined;
  if (unusable !== undefined) {
    providerReady.set(provider, 0);
    log.error("execution_provider_unavailable", {
      provider: o.executionProvider,
      why: unusable,
      hint: "this stage was given a GPU it cannot use and takes no task: run it on an image with the CUDA provider (the chart's stages.<stage>.image), or without gpu",
    });
  }
  const session = {
    ...(o.threads ? { threads: o.threads } : {}),
    ...(o.executionProvider ? { executionProvider: o.executionProvider } : {}),
    warn: (message: string) => {
      providerReady.set(provider, 0);
      log.warn("execution_provider_fallback", { message });
    },
  };
  const modelCache = new ModelCache(session);
  // With --data-root, tasks are confined to the roots too (task-paths.ts).
  const confinedBus = o.dataRoots?.length
    ? confineTaskPaths(bus, {
        dataRoots: await realPaths(o.dataRoots),
        modelRoots: await realPaths(o.modelRoots ?? []),
        modelFiles: await realPaths([
          o.defaultModel,
          o.defaultMae,
          ...Object.values(o.builtinModels ?? {}),
          ...Object.values(o.builtinMaes ?? {}),
        ]),
      })
    : bus;
  const grantedBus = o.grants
    ? grantTasks(confinedBus, o.grants, o.uploadRoot ? { uploadRoot: o.uploadRoot } : {})
    : confinedBus;
  const workers =
    unusable !== undefined
      ? { close: async () => {} }
      : registerStageWorkers(grantedBus, {
          store: ports.store,
          stages: [stage],
          concurrency: { [stage]: Math.max(1, o.concurrency ?? 1) },
          maxAttempts: o.maxAttempts ?? 3,
          models: modelCache,
        });
  const modelRoots = await resolveRoots(o.modelRoots ?? [], "--model-root");
  const rpcEnv = {
    dataRoots: await resolveRoots(o.dataRoots ?? [], "--data-root"),
    models: { defaultModel: o.defaultModel ?? null, builtin: o.builtinModels ?? {}, roots: modelRoots },
    maes: { defaultModel: o.defaultMae ?? null, builtin: o.builtinMaes ?? {}, roots: modelRoots },
    modelCache,
  };
  const serviceName = stageServiceName(stage);
  const health = new HealthService(serviceName ? [serviceName] : []);
  const server = newServer();
  health.addTo(server);
  const queue = `stream ${ports.bus.names.tasksStream}, consumer ${ports.bus.names.consumer(stage)}`;
  addStageService(server, stage, queue, {
    store: ports.store,
    log,
    env: rpcEnv,
    ...(o.auth ? { auth: o.auth } : {}),
  });
  addReflection(server, [...(serviceName ? [serviceName] : []), "grpc.health.v1.Health"]);
  let metrics: MetricsServer | undefined;
  let port: number;
  try {
    port = await bindServer(server, o.address, o.credentials);
    if (o.metricsPort !== undefined)
      metrics = await startMetricsServer(registry, o.metricsPort, o.metricsHost);
    await bus.ready();
  } catch (e) {
    server.forceShutdown();
    await metrics?.close();
    await ports.close(1000);
    await workers.close();
    throw e;
  }
  let closing = false;
  health.setAll(ports.connected && unusable === undefined ? "SERVING" : "NOT_SERVING");
  ports.onStatus((up) => {
    if (!closing) health.setAll(up && unusable === undefined ? "SERVING" : "NOT_SERVING");
  });
  const address = `${o.address.slice(0, o.address.lastIndexOf(":"))}:${port}`;
  log.info("listening", { address, queue, concurrency: o.concurrency ?? 1, metrics: metrics?.url });
  return {
    stage,
    address,
    port,
    metrics,
    health,
    ports,
    registry,
    close: closeOnce(
      { server, health, log, deadlineMs: 20_000, serverMs: (d) => Math.min(d, 2000) },
      async (deadlineMs) => {
        closing = true;
        // Stop pulling; in-flight tasks finish until the deadline, then are aborted and NAKed.
        await ports.close(deadlineMs);
        await workers.close();
        await modelCache.close();
        await metrics?.close();
      },
    ),
  };
}
