/**
 * The CompressionJob controller: list-watch with a periodic resync, one reconcile per object at a
 * time, idempotent. It submits each object's job to the gateway with an idempotency key derived
 * from the object's UID (a restart or a second replica finds the same job), mirrors the job into
 * `.status`, cancels it on delete through a finalizer, refuses a spec change after the start
 * (condition + Event), backs off exponentially on gateway errors and reconciles only while it
 * holds the leader Lease.
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Counter, Gauge, Logger, Registry } from "@adq/service-common";
import { CompressionClient, downloadResultFiles } from "@adq/service-common";
import * as grpc from "@grpc/grpc-js";
import * as k8s from "@kubernetes/client-node";
import { LeaderElector } from "./leader.ts";
import { createRequest, reasonName, resultRef, setCondition, statusFromJob } from "./mapping.ts";
import {
  CONTROLLER_NAME,
  type CompressionJob,
  type CompressionJobStatus,
  FINALIZER,
  GROUP,
  instanceSelector,
  KIND,
  type Phase,
  PLURAL,
  TERMINAL,
  VERSION,
} from "./resource.ts";

export interface ControllerOptions {
  kc: k8s.KubeConfig;
  /** The gateway's gRPC address (host:port). */
  gateway: string;
  /** TLS to the gateway (services/common/tls.ts clientSecurity); plaintext when unset. */
  gatewaySecurity?: { credentials: grpc.ChannelCredentials; channelOptions: grpc.ChannelOptions };
  /** Watch one namespace; all namespaces when empty. */
  namespace?: string;
  /** Where the leader Lease lives (the controller's own namespace). */
  leaseNamespace: string;
  leaseName?: string;
  identity: string;
  /** spec.output.path copies go under `<resultsRoot>/<namespace>/`; off when unset. */
  resultsRoot?: string;
  pollMs?: number;
  resyncMs?: number;
  leaseDurationMs?: number;
  retryPeriodMs?: number;
  /** Reconcile only the objects labelled for this instance (resource.ts INSTANCE_LABEL). */
  instance?: string;
  /** Where the controller's metrics go (leader, reconciles, objects by phase); none when unset. */
  registry?: Registry;
  log: Logger;
}

/** A gateway answer that retrying cannot change: the object fails with the gateway's reason. */
const PERMANENT = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.FAILED_PRECONDITION,
]);

/**
 * The tenant Secret is not there (yet): with GitOps the Secret and the CompressionJob are often
 * applied together, in any order, so this waits (Pending + condition, backoff) instead of failing.
 */
class SecretPendingError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

class PermanentError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const MERGE_PATCH = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

export class CompressionJobController {
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;
  private readonly elector: LeaderElector;
  private informer: (k8s.Informer<CompressionJob> & k8s.ObjectCache<CompressionJob>) | undefined;
  private resync: NodeJS.Timeout | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly clients = new Map<string, CompressionClient>();
  private leading = false;
  private stopped = false;
  private readonly log: Logger;
  private readonly metrics: { leader: Gauge; reconciles: Counter; objects: Gauge } | undefined;

  constructor(private readonly o: ControllerOptions) {
    const r = o.registry;
    this.metrics = r && {
      leader: r.gauge("adq_controller_leader", "1 while this replica holds the leader Lease"),
      reconciles: r.counter("adq_controller_reconciles_total", "Reconciles by result (ok, error)"),
      objects: r.gauge(
        "adq_compressionjobs",
        "CompressionJob objects this controller owns, by phase (leader only)",
      ),
    };
    this.metrics?.leader.set({}, 0);
    r?.collect(() => this.countObjects());
    this.custom = o.kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = o.kc.makeApiClient(k8s.CoreV1Api);
    this.log = o.log.child({ component: CONTROLLER_NAME, identity: o.identity });
    this.elector = new LeaderElector(o.kc, {
      namespace: o.leaseNamespace,
      name: o.leaseName ?? CONTROLLER_NAME,
      identity: o.identity,
      ...(o.leaseDurationMs ? { leaseDurationMs: o.leaseDurationMs } : {}),
      ...(o.retryPeriodMs ? { retryPeriodMs: o.retryPeriodMs } : {}),
      onStartedLeading: () =>
        void this.lead().catch((e: unknown) => {
          // Could not list/watch: step back; the elector's next renewal leads again.
          this.log.error("lead_failed", { error: (e as Error).message });
          void this.follow();
        }),
      onStoppedLeading: () => void this.follow(),
      log: (event, fields) => this.log.info(event, fields),
    });
  }

  /** Objects by phase from the informer's cache (the leader has one; a standby reports none). */
  private countObjects(): void {
    const m = this.metrics;
    if (!m) return;
    const phases: Record<string, number> = {
      Pending: 0,
      Queued: 0,
      Running: 0,
      Succeeded: 0,
      Failed: 0,
      Cancelled: 0,
    };
    for (const o of this.informer?.list() ?? []) {
      const p = o.status?.phase ?? "Pending";
      phases[p] = (phases[p] ?? 0) + 1;
    }
    for (const [phase, n] of Object.entries(phases)) m.objects.set({ phase }, n);
  }

  /**
   * Removes this controller's finalizer from every object it owns, without cancelling anything:
   * what an uninstall runs first (the chart's pre-delete hook), so deleting a CompressionJob does
   * not hang once no controller is left to finalize it. Returns the objects released.
   */
  async releaseFinalizers(): Promise<string[]> {
    const list = await this.listOwn();
    const released: string[] = [];
    for (const obj of list.items) {
      if (!obj.metadata?.finalizers?.includes(FINALIZER)) continue;
      await this.patchMeta(obj, { finalizers: obj.metadata.finalizers.filter((f) => f !== FINALIZER) });
      released.push(keyOf(obj));
    }
    return released;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.elector.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.follow();
    await this.elector.stop();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    // Let reconciles in flight finish their current API call.
    for (let i = 0; i < 100 && this.running.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
  }

  /** The CompressionJobs this controller instance owns, in its namespace or cluster-wide. */
  private listOwn(): Promise<k8s.KubernetesListObject<CompressionJob>> {
    const q = {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      labelSelector: instanceSelector(this.o.instance),
    };
    return (
      this.o.namespace
        ? this.custom.listNamespacedCustomObject({ ...q, namespace: this.o.namespace })
        : this.custom.listClusterCustomObject(q)
    ) as Promise<k8s.KubernetesListObject<CompressionJob>>;
  }

  private path(): string {
    const ns = this.o.namespace;
    return ns
      ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
  }

  private async lead(): Promise<void> {
    if (this.stopped) return;
    this.leading = true;
    this.metrics?.leader.set({}, 1);
    const list = () => this.listOwn();
    const informer = k8s.makeInformer<CompressionJob>(
      this.o.kc,
      this.path(),
      list,
      instanceSelector(this.o.instance),
    );
    const enqueue = (obj: CompressionJob) => this.enqueue(keyOf(obj));
    informer.on("add", enqueue);
    informer.on("update", enqueue);
    informer.on("delete", enqueue);
    informer.on("error", (err) => {
      this.log.warn("watch_error", { error: String((err as Error)?.message ?? err) });
      // The informer stops on error; start it again after a pause (it re-lists).
      setTimeout(() => {
        if (this.leading && this.informer === informer) void informer.start().catch(() => {});
      }, 1000);
    });
    this.informer = informer;
    await informer.start();
    // Resync: every object is reconciled again periodically, whatever the watch delivered.
    this.resync = setInterval(() => {
      for (const obj of informer.list()) this.enqueue(keyOf(obj));
    }, this.o.resyncMs ?? 30_000);
  }

  private async follow(): Promise<void> {
    this.leading = false;
    this.metrics?.leader.set({}, 0);
    clearInterval(this.resync);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    const inf = this.informer;
    this.informer = undefined;
    await inf?.stop();
  }

  /** Queues a reconcile of `key` ("namespace/name") after `delayMs`; one pending timer per key. */
  private enqueue(key: string, delayMs = 0): void {
    if (!this.leading) return;
    const existing = this.timers.get(key);
    if (existing) {
      if (delayMs > 0) return; // an earlier reconcile is already scheduled
      clearTimeout(existing);
    }
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.process(key);
      }, delayMs),
    );
  }

  private async process(key: string): Promise<void> {
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.running.add(key);
    let again: number | undefined;
    try {
      again = await this.reconcile(key);
      this.failures.delete(key);
      this.metrics?.reconciles.inc({ result: "ok" });
    } catch (e) {
      this.metrics?.reconciles.inc({ result: "error" });
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      again = Math.min(60_000, 500 * 2 ** (n - 1));
      this.log.warn("reconcile_error", { key, attempt: n, retry_ms: again, error: (e as Error).message });
    } finally {
      this.running.delete(key);
    }
    if (this.dirty.delete(key)) again = 0;
    if (again !== undefined && this.leading) this.enqueue(key, again);
  }

  /** One reconcile; returns when to look again (ms), or undefined when the object is settled. */
  private async reconcile(key: string): Promise<number | undefined> {
    const [namespace, name] = key.split("/") as [string, string];
    let obj: CompressionJob;
    try {
      obj = (await this.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as CompressionJob;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
    const status = obj.status ?? {};
    if (obj.metadata?.deletionTimestamp) return this.finalize(obj);
    if (!obj.metadata?.finalizers?.includes(FINALIZER)) {
      await this.patchMeta(obj, { finalizers: [...(obj.metadata?.finalizers ?? []), FINALIZER] });
      return 0;
    }
    if (status.phase && TERMINAL.has(status.phase)) {
      await this.refuseSpecChange(obj, status);
      return undefined;
    }
    let client: CompressionClient;
    try {
      client = await this.clientFor(obj);
    } catch (e) {
      if (e instanceof PermanentError) {
        await this.fail(obj, e.reason, e.message);
        return undefined;
      }
      if (e instanceof SecretPendingError) {
        const before = status.conditions?.find((c) => c.type === "SecretAvailable");
        await this.setStatus(obj, {
          ...(status.jobId ? {} : { phase: "Pending" as const }),
          conditions: setCondition(
            status.conditions,
            { type: "SecretAvailable", status: "False", reason: e.reason, message: e.message },
            now(),
          ),
        });
        if (before?.status !== "False" || before.reason !== e.reason)
          await this.event(obj, "Warning", e.reason, e.message);
      }
      throw e; // retried with backoff
    }
    if (status.conditions?.some((c) => c.type === "SecretAvailable" && c.status === "False"))
      await this.setStatus(obj, {
        conditions: setCondition(
          status.conditions,
          {
            type: "SecretAvailable",
            status: "True",
            reason: "SecretFound",
            message: "the API key Secret is readable",
          },
          now(),
        ),
      });
    if (!status.jobId) return this.submit(obj, client);
    return this.mirror(obj, client);
  }

  private async submit(obj: CompressionJob, client: CompressionClient): Promise<number | undefined> {
    let job: Awaited<ReturnType<CompressionClient["createJob"]>>;
    try {
      job = await client.createJob(createRequest(obj));
    } catch (e) {
      const err = e as grpc.ServiceError;
      if (PERMANENT.has(err.code)) {
        await this.fail(obj, grpcReason(err), err.details || err.message);
        return undefined;
      }
      await this.setStatus(obj, {
        phase: "Pending",
        conditions: setCondition(
          obj.status?.conditions,
          {
            type: "GatewayReachable",
            status: "False",
            reason: "GatewayUnavailable",
            message: err.details || err.message,
          },
          now(),
        ),
      });
      throw e;
    }
    const generation = obj.metadata?.generation;
    await this.setStatus(obj, {
      ...statusFromJob(obj.status, job.job, generation, now()),
      jobGeneration: generation,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions: setCondition(
        statusFromJob(obj.status, job.job, generation, now()).conditions,
        { type: "GatewayReachable", status: "True", reason: "JobSubmitted", message: `job ${job.job.id}` },
        now(),
      ),
    });
    await this.event(
      obj,
      "Normal",
      "Submitted",
      job.deduplicated ? `resumed gateway job ${job.job.id}` : `created gateway job ${job.job.id}`,
    );
    return this.o.pollMs ?? 2000;
  }

  private async mirror(obj: CompressionJob, client: CompressionClient): Promise<number | undefined> {
    const prev = obj.status ?? {};
    const job = await client.getJob(prev.jobId!).catch(async (e: grpc.ServiceError) => {
      if (e.code === grpc.status.NOT_FOUND) {
        await this.fail(obj, "JobNotFound", `gateway job ${prev.jobId} no longer exists`);
        return undefined;
      }
      throw e;
    });
    if (!job) return undefined;
    let next = statusFromJob(prev, job, prev.jobGeneration, now());
    next.observedGeneration = obj.metadata?.generation;
    next = { ...next, conditions: this.specConditions(obj, next) };
    if (next.phase === "Succeeded" && !prev.result) {
      const result = await client.getResult(job.id);
      const path = await this.copyResult(obj, client, job.id, result);
      next.result = resultRef(job, result, path);
    }
    const phase: Phase = next.phase ?? "Pending";
    if (phase !== prev.phase) {
      const type = phase === "Failed" ? "Warning" : "Normal";
      const msg =
        phase === "Succeeded"
          ? `selected ${next.result?.selected} of ${next.result?.total} images`
          : phase === "Failed"
            ? (next.message ?? "the job failed")
            : `gateway job ${job.id} is ${phase.toLowerCase()}`;
      await this.event(obj, type, phase, msg);
    }
    const refusedBefore = hasRefusal(prev, obj.metadata?.generation);
    if (JSON.stringify(next) !== JSON.stringify(prev)) await this.setStatus(obj, next);
    if (!refusedBefore && hasRefusal(next, obj.metadata?.generation)) await this.refusalEvent(obj, next);
    return TERMINAL.has(phase) ? undefined : (this.o.pollMs ?? 2000);
  }

  /** The SpecChangeRefused condition: True once the spec moved past the generation that started the job. */
  private specConditions(obj: CompressionJob, s: CompressionJobStatus) {
    const gen = obj.metadata?.generation;
    if (s.jobGeneration === undefined || gen === undefined || gen === s.jobGeneration) return s.conditions;
    return setCondition(
      s.conditions,
      {
        type: "SpecChangeRefused",
        status: "True",
        reason: "SpecImmutableAfterStart",
        message: `the spec changed (generation ${gen}) after job ${s.jobId} started from generation ${s.jobGeneration}; the job keeps its original parameters — create a new CompressionJob instead`,
        observedGeneration: gen,
      },
      now(),
    );
  }

  /** After the job ended: records a refused spec change once (condition + Warning Event). */
  private async refuseSpecChange(obj: CompressionJob, s: CompressionJobStatus) {
    const gen = obj.metadata?.generation;
    if (s.jobGeneration === undefined || gen === undefined || gen === s.jobGeneration) return;
    if (hasRefusal(s, gen)) return;
    const next = { conditions: this.specConditions(obj, s), observedGeneration: gen };
    await this.setStatus(obj, next);
    await this.refusalEvent(obj, { ...s, ...next });
  }

  private async refusalEvent(obj: CompressionJob, s: CompressionJobStatus) {
    await this.event(
      obj,
      "Warning",
      "SpecChangeRefused",
      `spec generation ${obj.metadata?.generation} ignored: job ${s.jobId} started from generation ${s.jobGeneration}`,
    );
  }

  private async finalize(obj: CompressionJob): Promise<number | undefined> {
    if (!obj.metadata?.finalizers?.includes(FINALIZER)) return undefined;
    const s = obj.status ?? {};
    if (s.jobId && !(s.phase && TERMINAL.has(s.phase))) {
      try {
        const client = await this.clientFor(obj);
        await client.cancelJob({ jobId: s.jobId, reason: `CompressionJob ${keyOf(obj)} deleted` });
        await this.event(obj, "Normal", "Cancelled", `cancelled gateway job ${s.jobId}`);
      } catch (e) {
        const err = e as grpc.ServiceError;
        // A job that is gone or already finished needs no cancel; a Secret that is gone cannot be
        // used to cancel, so the object must not hang on it. Anything else is retried.
        const settled =
          e instanceof PermanentError ||
          e instanceof SecretPendingError ||
          err.code === grpc.status.NOT_FOUND ||
          err.code === grpc.status.FAILED_PRECONDITION;
        if (!settled) throw e;
        this.log.warn("cancel_skipped", { key: keyOf(obj), job_id: s.jobId, error: err.message });
      }
    }
    await this.patchMeta(obj, { finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) });
    return undefined;
  }

  private async fail(obj: CompressionJob, reason: string, message: string): Promise<void> {
    await this.setStatus(obj, {
      phase: "Failed",
      message,
      observedGeneration: obj.metadata?.generation,
      completionTime: now(),
      conditions: setCondition(
        setCondition(obj.status?.conditions, { type: "Complete", status: "False", reason, message }, now()),
        { type: "Failed", status: "True", reason, message },
        now(),
      ),
    });
    await this.event(obj, "Warning", reason, message);
  }

  /**
   * The gateway client of the object's tenant: the API key comes from a Secret in the object's
   * own namespace — a reference to another namespace is refused, so a namespace cannot act as
   * another namespace's tenant.
   */
  private async clientFor(obj: CompressionJob): Promise<CompressionClient> {
    const ns = obj.metadata?.namespace ?? "";
    const ref = obj.spec.apiKeySecretRef;
    if (ref.namespace && ref.namespace !== ns)
      throw new PermanentError(
        "SecretNamespaceForbidden",
        `apiKeySecretRef.namespace ${ref.namespace}: the Secret must be in the object's namespace ${ns}`,
      );
    let secret: k8s.V1Secret;
    try {
      secret = await this.core.readNamespacedSecret({ name: ref.name, namespace: ns });
    } catch (e) {
      if ((e as { code?: number }).code === 404)
        throw new SecretPendingError("SecretNotFound", `Secret ${ns}/${ref.name} does not exist (yet)`);
      throw e;
    }
    const field = ref.key ?? "apiKey";
    const b64 = secret.data?.[field];
    if (!b64)
      throw new SecretPendingError("SecretKeyMissing", `Secret ${ns}/${ref.name} has no key ${field}`);
    const apiKey = Buffer.from(b64, "base64").toString("utf8").trim();
    let c = this.clients.get(apiKey);
    if (!c) {
      c = new CompressionClient(this.o.gateway, {
        apiKey,
        timeoutMs: 30_000,
        ...(this.o.gatewaySecurity ?? {}),
      });
      this.clients.set(apiKey, c);
    }
    return c;
  }

  /** spec.output.path: the result files, staged and renamed into `<root>/<namespace>/<path>`. */
  private async copyResult(
    obj: CompressionJob,
    client: CompressionClient,
    jobId: string,
    result: Awaited<ReturnType<CompressionClient["getResult"]>>,
  ): Promise<string | undefined> {
    const rel = obj.spec.output?.path;
    if (!rel || !this.o.resultsRoot) return undefined;
    const parts = rel.split("/");
    if (parts.some((p) => p === "" || p === "." || p === ".."))
      throw new PermanentError("InvalidOutputPath", `spec.output.path ${rel}: no empty, "." or ".." parts`);
    const base = resolve(this.o.resultsRoot, obj.metadata!.namespace!);
    const out = join(base, ...parts);
    const tmp = `${out}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      await downloadResultFiles(client, jobId, tmp, result);
      await rm(out, { recursive: true, force: true });
      await rename(tmp, out);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return out;
  }

  private async setStatus(obj: CompressionJob, status: CompressionJobStatus): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { ...objectRef(obj), body: { status }, fieldManager: CONTROLLER_NAME },
      MERGE_PATCH,
    );
    obj.status = { ...obj.status, ...status };
  }

  /** A metadata merge patch guarded by the resourceVersion read (409 on a concurrent change). */
  private async patchMeta(obj: CompressionJob, meta: Partial<k8s.V1ObjectMeta>): Promise<void> {
    await this.custom.patchNamespacedCustomObject(
      {
        ...objectRef(obj),
        body: { metadata: { ...meta, resourceVersion: obj.metadata!.resourceVersion } },
        fieldManager: CONTROLLER_NAME,
      },
      MERGE_PATCH,
    );
  }

  private async event(obj: CompressionJob, type: "Normal" | "Warning", reason: string, message: string) {
    const t = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace: obj.metadata!.namespace!,
        body: {
          metadata: { generateName: `${obj.metadata!.name}.`, namespace: obj.metadata!.namespace! },
          involvedObject: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: KIND,
            name: obj.metadata!.name!,
            namespace: obj.metadata!.namespace!,
            uid: obj.metadata!.uid!,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: CONTROLLER_NAME },
          reportingComponent: CONTROLLER_NAME,
          reportingInstance: this.o.identity,
          firstTimestamp: t,
          lastTimestamp: t,
          count: 1,
        },
      });
    } catch (e) {
      this.log.warn("event_failed", { key: keyOf(obj), reason, error: (e as Error).message });
    }
  }
}

function hasRefusal(s: CompressionJobStatus, generation: number | undefined): boolean {
  return (
    s.conditions?.some((c) => c.type === "SpecChangeRefused" && c.observedGeneration === generation) === true
  );
}

/** The custom-objects API coordinates of one CompressionJob. */
function objectRef(obj: CompressionJob) {
  return {
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: obj.metadata!.namespace!,
    name: obj.metadata!.name!,
  };
}

function keyOf(obj: CompressionJob): string {
  return `${obj.metadata?.namespace}/${obj.metadata?.name}`;
}

function now(): string {
  return new Date().toISOString();
}

function grpcReason(err: grpc.ServiceError): string {
  return err.code === grpc.status.INVALID_ARGUMENT
    ? "InvalidSpec"
    : err.code === grpc.status.UNAUTHENTICATED
      ? "Unauthenticated"
      : reasonName(`ERROR_REASON_${grpc.status[err.code] ?? "UNKNOWN"}`);
}
