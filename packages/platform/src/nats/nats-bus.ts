/**
 * The Bus port on NATS JetStream (cluster mode, docs/architecture.md §3).
 *
 * Layout for a namespace `ns` (default `adq`; `NS` is it upper-cased):
 *
 * | what | JetStream | subjects | retention |
 * | --- | --- | --- | --- |
 * | tasks | stream `NS_TASKS` | `ns.tasks.<stage>.<jobId>` | work queue (a message lives until acked or terminated) |
 * | stage queue | durable pull consumer `<stage>` on `NS_TASKS`, filter `ns.tasks.<stage>.>` | — | shared by every worker of the stage |
 * | outcomes | stream `NS_OUTCOMES` | `ns.outcomes.<stage>.<jobId>` | limits, `outcomeMaxAgeMs` |
 * | job events | stream `NS_EVENTS` | `ns.events.<source>.<jobId>` | limits, `eventMaxAgeMs`, `maxEventsPerJob` |
 * | cancel | core NATS (no stream) | `ns.cancel.<jobId>` | — |
 *
 * The stage (outcomes) and the publisher (events: `control`, or the stage of a worker's bus,
 * `eventSource`) are subject tokens so that nats-server permissions can bind a worker to its
 * own stage's subjects; receivers drop an outcome whose task is not the subject's stage and
 * job, and an event of a worker that is not a progress event of that worker's stage
 * (deploy/nats/adq-auth.conf, SECURITY.md).
 *
 * The job id is the last token of the task subject so that cancelling a job can purge its
 * queued tasks (`purge NS_TASKS filter ns.tasks.*.<jobId>`); the stage consumer's lag
 * (`num_pending`) is the autoscaling signal (KEDA's NATS JetStream scaler: stream
 * `NS_TASKS`, consumer `<stage>`).
 *
 * Delivery semantics (at least once, idempotent handlers):
 * - `publishTask` stores the task with `Nats-Msg-Id: <jobId>.<stage>.<taskKey>`: re-publishing
 *   the same task within the stream's duplicate window (2 min) is dropped, so a coordinator
 *   that restarts and re-publishes a stage does not double the queue.
 * - Each worker slot pulls one message at a time (`concurrency` slots per `consume`), so N
 *   workers split the stage's tasks and a busy worker never hoards messages.
 * - While a handler runs, the worker sends in-progress acks (`+WPI`) every `heartbeatMs`,
 *   so a long task is not redelivered; a worker that dies stops heartbeating and the task
 *   is redelivered to another worker after `ackWaitMs`.
 * - Handler resolved: the outcome is published (and confirmed by the stream) BEFORE the
 *   task is acked. A crash between the two redelivers the task, whose second outcome is
 *   dropped by the outcome stream's duplicate window (`Nats-Msg-Id` per task) or, later,
 *   ignored by the coordinator ("first result wins").
 * - Handler threw: NAK with a delay from `retryBackoffMs` (redelivered to any worker), until
 *   the delivery count reaches `maxAttempts` (= the consumer's `max_deliver`): then a failed
 *   outcome is published and the message terminated (and deleted from the queue: 2.9
 *   servers keep terminated work-queue messages). A `PermanentTaskError` is terminated at
 *   once with a failed outcome `permanent: true`.
 * - A worker that crashes on the last allowed delivery: the server gives up and emits a
 *   MAX_DELIVERIES advisory; every live worker of the stage listens to it, publishes the
 *   failed outcome (deduplicated) and deletes the message. So every task ends in an outcome
 *   (as long as one worker of the stage is alive to see the advisory), and duplicates are
 *   dropped within the duplicate window.
 *
 * Outcomes and resuming a coordinator: `onOutcome(listener)` follows the outcome stream
 * from the moment the bus connected (an ordered consumer that survives reconnects). A
 * coordinator restarted mid-job needs the outcomes published while it was down: it
 * re-reads the job record (JobStore), and for the stage in progress calls
 * `onOutcome(listener, { jobId, replay: true })` — which replays every retained outcome of
 * that job, then follows live — and re-publishes the stage's tasks (duplicates of tasks
 * still queued are dropped by the dedup window; tasks already done are seen in the replay;
 * a task re-run after the window is idempotent and "first result wins").
 */
import {
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  type PubAck,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { Subscription as CoreSubscription } from "@nats-io/transport-node";
import type {
  Bus,
  ConsumeOptions,
  JobEvent,
  OutcomeListenOptions,
  Subscription,
  TaskHandler,
  TaskMessage,
  TaskOutcome,
} from "../ports.ts";
import {
  ApiCodes,
  assertToken,
  ensureConsumer,
  ensureStream,
  isApiError,
  manager,
  type NatsConnection,
  nanos,
} from "./connection.ts";
import { defaultLogger, type Logger } from "./logger.ts";
import { errorMessage, isTransient, sleep } from "./retry.ts";
import {
  type CloseOptions,
  giveUpTask,
  StageWorker,
  stageConsumerConfig,
  type WorkerHost,
} from "./stage-worker.ts";

export type { CloseOptions, OutcomeListenOptions };

export interface NatsBusOptions {
  /** Prefix of every subject and stream (default `adq`), e.g. one per environment. */
  namespace?: string;
  /** Redelivery timeout of a task whose worker stopped heartbeating (default 30 s). */
  ackWaitMs?: number;
  /** In-progress heartbeat period while a handler runs (default ackWaitMs / 3). */
  heartbeatMs?: number;
  /** NAK delays after failed attempts 1, 2, … (the last repeats). Default 1 s, 5 s, 15 s, 30 s. */
  retryBackoffMs?: readonly number[];
  /** Long-poll duration of one pull request (default 5 s, minimum 1 s). */
  pullExpiresMs?: number;
  /** Outcome retention (default 7 days): a coordinator must resume within it. */
  outcomeMaxAgeMs?: number;
  /** Event retention (default 7 days), for WatchJob replay. */
  eventMaxAgeMs?: number;
  /** Events kept per job, oldest dropped first (default 100 000). */
  maxEventsPerJob?: number;
  /**
   * How long to wait for the stream's ack of one publish before retrying it (default 5 s).
   * Retries are safe: tasks and outcomes carry message ids.
   */
  publishTimeoutMs?: number;
  /** Duplicate window for task and outcome message ids (default 2 min). */
  duplicateWindowMs?: number;
  /** Stream replicas in a clustered JetStream (default 1). */
  replicas?: number;
  /** How long a cancelled job's late tasks are terminated unrun by this process (default 10 min). */
  cancelMemoryMs?: number;
  /** `close()` closes the connection too (default false: the caller owns it). */
  ownsConnection?: boolean;
  /**
   * Follow the outcome stream from `connect` on (default true: coordinators need every
   * outcome from the moment they connect). A stage worker that never listens to outcomes
   * passes false: it then needs no read access to them (deploy/nats/adq-auth.conf); a later
   * `onOutcome` starts following then.
   */
  followOutcomes?: boolean;
  /**
   * `consume()` declares its stage's consumer (default true: a bus embedded in one process).
   * False in the cluster: the control plane calls `ensureStageConsumers` at start and workers
   * only bind (stage-worker.ts, deploy/nats/adq-auth.conf).
   */
  declareConsumers?: boolean;
  /**
   * The publisher token of this bus's events (default `control`: the gateway/coordinator).
   * A stage worker's bus passes its stage: receivers then take from it only progress events
   * of that stage (a worker cannot forge a job's state, e.g. CANCELLING).
   */
  eventSource?: string;
  logger?: Logger;
}

export interface BusNames {
  tasksStream: string;
  outcomesStream: string;
  eventsStream: string;
  consumer(stage: string): string;
  taskSubject(stage: string, jobId: string): string;
  stageFilter(stage: string): string;
  /** Where a task's outcome is published: the stage and job are the subject's. */
  outcomeSubject(stage: string, jobId: string): string;
  /** Every outcome of a job (a filter). */
  jobOutcomes(jobId: string): string;
  /** Where `source` (`control`, or a worker's stage) publishes a job's events. */
  eventSubject(source: string, jobId: string): string;
  /** Every event of a job (a filter). */
  jobEvents(jobId: string): string;
  cancelSubject(jobId: string): string;
}

export function busNames(namespace = "adq"): BusNames {
  assertToken("namespace", namespace);
  const NS = namespace.toUpperCase().replace(/-/g, "_");
  return {
    tasksStream: `${NS}_TASKS`,
    outcomesStream: `${NS}_OUTCOMES`,
    eventsStream: `${NS}_EVENTS`,
    consumer: (stage) => stage,
    taskSubject: (stage, jobId) => `${namespace}.tasks.${stage}.${jobId}`,
    stageFilter: (stage) => `${namespace}.tasks.${stage}.>`,
    outcomeSubject: (stage, jobId) => `${namespace}.outcomes.${stage}.${jobId}`,
    jobOutcomes: (jobId) => `${namespace}.outcomes.*.${jobId}`,
    eventSubject: (source, jobId) => `${namespace}.events.${source}.${jobId}`,
    jobEvents: (jobId) => `${namespace}.events.*.${jobId}`,
    cancelSubject: (jobId) => `${namespace}.cancel.${jobId}`,
  };
}

/** The event publisher token of the gateway/coordinator (every event kind). */
export const CONTROL_SOURCE = "control";

export interface EventSubscribeOptions {
  /** Replay the job's retained events first (default true: WatchJob shows the history). */
  replay?: boolean;
}

export interface NatsSubscription extends Subscription {
  close(options?: CloseOptions): Promise<void>;
  /** Resolves once the stage consumer exists and the worker pulls. */
  readonly ready: Promise<void>;
}

const encoder = new TextEncoder();

/** A live follower of a stream subject (ordered consumer, survives reconnects). */
interface Follower {
  stop(): void;
  readonly ready: Promise<void>;
}

export class NatsBus implements Bus, WorkerHost {
  readonly names: BusNames;
  private readonly js: JetStreamClient;
  private readonly outcomeListeners = new Set<{ jobId?: string; fn: (o: TaskOutcome) => void }>();
  private readonly followers = new Set<Follower>();
  private readonly workers = new Set<StageWorker>();
  private readonly cancelled = new Map<string, number>();
  private cancelSub: CoreSubscription | undefined;
  private liveOutcomes: Follower | undefined;
  private giveUps: CoreSubscription | undefined;
  private terminated: CoreSubscription | undefined;
  readonly declareConsumers: boolean;
  readonly eventSource: string;
  private closed = false;
  readonly log: Logger;
  readonly ackWaitMs: number;
  readonly heartbeatMs: number;
  readonly pullExpiresMs: number;
  readonly publishTimeoutMs: number;
  readonly retryBackoffMs: readonly number[];

  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    private readonly options: NatsBusOptions,
  ) {
    this.names = busNames(options.namespace);
    this.eventSource = options.eventSource ?? CONTROL_SOURCE;
    assertToken("eventSource", this.eventSource);
    this.js = jetstream(nc, { timeout: 10_000 });
    this.log = options.logger ?? defaultLogger;
    this.declareConsumers = options.declareConsumers !== false;
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(100, Math.floor(this.ackWaitMs / 3));
    this.pullExpiresMs = Math.max(1000, options.pullExpiresMs ?? 5000);
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.retryBackoffMs = options.retryBackoffMs?.length
      ? options.retryBackoffMs
      : [1000, 5000, 15_000, 30_000];
  }

  /** Declares the streams (idempotent) and starts following outcomes. */
  static async connect(nc: NatsConnection, options: NatsBusOptions = {}): Promise<NatsBus> {
    const bus = new NatsBus(nc, await manager(nc), options);
    await bus.ensureStreams();
    if (options.followOutcomes !== false) await bus.followLiveOutcomes();
    return bus;
  }

  private async followLiveOutcomes(): Promise<void> {
    this.liveOutcomes ??= this.follow(this.names.outcomesStream, `${this.ns}.outcomes.>`, "new", (m) =>
      this.dispatchOutcome(m),
    );
    await this.liveOutcomes.ready;
  }

  private get ns(): string {
    return this.options.namespace ?? "adq";
  }

  async ensureStreams(): Promise<void> {
    const o = this.options;
    const dup = nanos(o.duplicateWindowMs ?? 120_000);
    // Every stream: file storage, the configured replicas, the subjects of one kind under the namespace.
    const declare = (name: string, kind: string, description: string, config: Partial<StreamConfig>) =>
      ensureStream(this.jsm, {
        name,
        description,
        subjects: [`${this.ns}.${kind}.>`],
        storage: StorageType.File,
        num_replicas: o.replicas ?? 1,
        ...config,
      });
    await declare(
      this.names.tasksStream,
      "tasks",
      "ADQ stage tasks (work queue, one durable consumer per stage)",
      {
        retention: RetentionPolicy.Workqueue,
        duplicate_window: dup,
      },
    );
    await declare(this.names.outcomesStream, "outcomes", "ADQ task outcomes per job", {
      retention: RetentionPolicy.Limits,
      max_age: nanos(o.outcomeMaxAgeMs ?? 7 * 24 * 3600_000),
      duplicate_window: Math.min(dup, nanos(o.outcomeMaxAgeMs ?? Number.POSITIVE_INFINITY)),
    });
    await declare(this.names.eventsStream, "events", "ADQ job progress events (WatchJob replays them)", {
      retention: RetentionPolicy.Limits,
      max_age: nanos(o.eventMaxAgeMs ?? 7 * 24 * 3600_000),
      max_msgs_per_subject: o.maxEventsPerJob ?? 100_000,
    });
  }

  /**
   * The control plane's part of the queues: declares every stage's durable consumer before
   * any job (so autoscalers see each queue from the start, and workers need no right to
   * create or change a consumer), resetting a filter someone changed, and handles tasks the
   * server gave up on (MAX_DELIVERIES advisories: failed outcome, message deleted), which
   * workers may not read or delete. Idempotent; O(stages) requests.
   */
  async ensureStageConsumers(stages: readonly string[], o: { maxAttempts?: number } = {}): Promise<void> {
    const maxAttempts = Math.max(1, Math.floor(o.maxAttempts ?? 3));
    for (const stage of stages) {
      assertToken("stage", stage);
      const config = stageConsumerConfig(this.names, stage, this.ackWaitMs, maxAttempts);
      const old = await this.jsm.consumers.info(this.names.tasksStream, config.durable_name).catch((e) => {
        if (isApiError(e, ApiCodes.ConsumerNotFound)) return undefined;
        throw e;
      });
      if (old && old.config.filter_subject !== config.filter_subject) {
        // Someone re-pointed the queue (2.9 servers cannot change a filter in place): replace it.
        await this.jsm.consumers.delete(this.names.tasksStream, config.durable_name);
        this.log("warn", "stage consumer had a foreign filter, recreated", {
          stage,
          filter: old.config.filter_subject,
        });
      }
      await ensureConsumer(this.jsm, this.names.tasksStream, config);
    }
    this.giveUps ??= this.nc.subscribe(
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.names.tasksStream}.*`,
      {
        callback: (err, m) => {
          if (err) return;
          try {
            void giveUpTask(this, m.json<{ stream_seq: number; deliveries: number }>()).catch(() => {});
          } catch {
            // not an advisory we understand
          }
        },
      },
    );
    // 2.9 servers keep a terminated work-queue message until it is deleted, and workers may
    // not delete: do it for them (later servers have removed it already: not found, ignored).
    this.terminated ??= this.nc.subscribe(
      `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${this.names.tasksStream}.*`,
      {
        callback: (err, m) => {
          if (err) return;
          try {
            const { stream_seq } = m.json<{ stream_seq: number }>();
            if (Number.isSafeInteger(stream_seq))
              void this.jsm.streams.deleteMessage(this.names.tasksStream, stream_seq, false).catch(() => {});
          } catch {
            // not an advisory we understand
          }
        },
      },
    );
  }

  // ---- tasks -------------------------------------------------------------------------

  async publishTask(task: TaskMessage): Promise<void> {
    if (this.closed) throw new Error("bus is closed");
    assertToken("jobId", task.jobId);
    assertToken("stage", task.stage);
    // Safe to retry: the message id makes a re-sent task a no-op within the duplicate window.
    const pa = await this.publishRetrying(
      this.names.taskSubject(task.stage, task.jobId),
      encoder.encode(JSON.stringify(task)),
      `${task.jobId}.${task.stage}.${task.taskKey}`,
    );
    if (pa.duplicate)
      this.log("debug", "duplicate task dropped", { jobId: task.jobId, taskKey: task.taskKey });
  }

  /**
   * JetStream publish that rides out a nats-server restart: a publish made while the client
   * reconnects, or before JetStream has recovered its streams, times out or finds no
   * responders; it is retried with backoff until `deadlineMs` has passed.
   */
  private async publishRetrying(
    subject: string,
    body: Uint8Array,
    msgID: string | undefined,
    deadlineMs = 60_000,
  ): Promise<PubAck> {
    const until = Date.now() + deadlineMs;
    for (let i = 0; ; i++) {
      try {
        return await this.js.publish(subject, body, {
          ...(msgID ? { msgID } : {}),
          timeout: this.publishTimeoutMs,
        });
      } catch (e) {
        if (this.nc.isClosed() || Date.now() >= until || !isTransient(e)) throw e;
        this.log("warn", "publish failed, retrying", { subject, error: errorMessage(e) });
        await sleep(Math.min(2000, 100 * 2 ** i));
      }
    }
  }

  consume(stage: string, handler: TaskHandler, options: ConsumeOptions = {}): NatsSubscription {
    if (this.closed) throw new Error("bus is closed");
    assertToken("stage", stage);
    this.ensureCancelListener();
    const w = new StageWorker(this, stage, handler, {
      concurrency: Math.max(1, Math.floor(options.concurrency ?? 1)),
      maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 3)),
    });
    this.workers.add(w);
    return {
      ready: w.ready,
      close: async (o?: CloseOptions) => {
        await w.close(o);
        this.workers.delete(w);
      },
    };
  }

  /**
   * Cancels a job: purges its queued tasks and tells every worker (core NATS) to abort its
   * in-flight tasks of that job (their signal aborts; they are terminated without outcome)
   * and to terminate unrun any of its tasks delivered in the next `cancelMemoryMs`.
   * Returns how many task messages (queued or in flight) were purged.
   */
  async cancelJob(jobId: string): Promise<number> {
    assertToken("jobId", jobId);
    const purged = await this.jsm.streams.purge(this.names.tasksStream, {
      filter: `${this.ns}.tasks.*.${jobId}`,
    });
    this.markCancelled(jobId);
    this.nc.publish(this.names.cancelSubject(jobId));
    await this.nc.flush();
    return purged.purged;
  }

  /** Drops a finished job's retained outcomes (and events, with `events: true`). */
  async purgeJob(jobId: string, options: { events?: boolean } = {}): Promise<void> {
    assertToken("jobId", jobId);
    await this.jsm.streams.purge(this.names.tasksStream, { filter: `${this.ns}.tasks.*.${jobId}` });
    await this.jsm.streams.purge(this.names.outcomesStream, { filter: this.names.jobOutcomes(jobId) });
    if (options.events)
      await this.jsm.streams.purge(this.names.eventsStream, { filter: this.names.jobEvents(jobId) });
  }

  isCancelled(jobId: string): boolean {
    const until = this.cancelled.get(jobId);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.cancelled.delete(jobId);
      return false;
    }
    return true;
  }

  private markCancelled(jobId: string): void {
    this.cancelled.set(jobId, Date.now() + (this.options.cancelMemoryMs ?? 600_000));
    for (const w of this.workers) w.abortJob(jobId);
  }

  private ensureCancelListener(): void {
    if (this.cancelSub) return;
    const prefix = `${this.ns}.cancel.`;
    this.cancelSub = this.nc.subscribe(`${prefix}*`, {
      callback: (err, m) => {
        if (err) return;
        this.markCancelled(m.subject.slice(prefix.length));
      },
    });
  }

  /**
   * Publishes an outcome, retrying through disconnections while the connection is open.
   * Returns false when it had to give up (the caller then leaves the task unacked).
   */
  async publishOutcome(outcome: TaskOutcome, giveUp: () => boolean = () => false): Promise<boolean> {
    const { jobId, stage, taskKey } = outcome.task;
    let body: Uint8Array;
    try {
      body = encoder.encode(JSON.stringify(outcome));
    } catch (e) {
      body = encoder.encode(
        JSON.stringify({
          task: outcome.task,
          ok: false,
          permanent: true,
          error: `task result is not JSON-serializable: ${errorMessage(e)}`,
        } satisfies TaskOutcome),
      );
    }
    const maxPayload = this.nc.info?.max_payload ?? 1 << 20;
    if (body.byteLength > maxPayload - 4096) {
      body = encoder.encode(
        JSON.stringify({
          task: outcome.task,
          ok: false,
          permanent: true,
          error: `task result is too large for a message (${body.byteLength} bytes): store it as an artifact`,
        } satisfies TaskOutcome),
      );
    }
    for (let i = 0; ; i++) {
      try {
        await this.js.publish(this.names.outcomeSubject(stage, jobId), body, {
          msgID: `${jobId}.${stage}.${taskKey}`,
          timeout: this.publishTimeoutMs,
        });
        return true;
      } catch (e) {
        if (this.nc.isClosed() || giveUp() || i >= 20 || !isTransient(e)) {
          this.log("error", "could not publish outcome", { jobId, stage, taskKey, error: errorMessage(e) });
          return false;
        }
        this.log("warn", "outcome publish failed, retrying", {
          jobId,
          stage,
          taskKey,
          error: errorMessage(e),
        });
        await sleep(Math.min(5000, 100 * 2 ** i));
      }
    }
  }

  // ---- outcomes ------------------------------------------------------------------------

  /**
   * The outcome in `m`, if it answers a task of the stage and job its subject names (the
   * only subjects the publisher's credentials allow, deploy/nats/adq-auth.conf); else
   * undefined (logged): a worker cannot answer another stage's or job's task.
   */
  private parseOutcome(m: JsMsg): TaskOutcome | undefined {
    let o: TaskOutcome;
    try {
      o = m.json<TaskOutcome>();
    } catch (e) {
      this.log("warn", "malformed outcome ignored", { subject: m.subject, error: errorMessage(e) });
      return undefined;
    }
    const [stage, jobId] = m.subject.slice(this.ns.length + ".outcomes.".length).split(".");
    if (typeof o?.task !== "object" || o.task === null || o.task.stage !== stage || o.task.jobId !== jobId) {
      this.log("warn", "outcome for another stage or job ignored", {
        subject: m.subject,
        taskStage: String(o?.task?.stage),
        ...(jobId ? { jobId } : {}),
      });
      return undefined;
    }
    return o;
  }

  private dispatchOutcome(m: JsMsg): void {
    const o = this.parseOutcome(m);
    if (!o) return;
    for (const l of this.outcomeListeners) {
      if (l.jobId !== undefined && l.jobId !== o.task.jobId) continue;
      this.safeCall(() => l.fn(o));
    }
  }

  private safeCall(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log("error", "listener threw", { error: errorMessage(e) });
    }
  }

  /**
   * Outcomes (success or final failure) of tasks of every stage. Without options: those
   * published from now on. With `{ jobId, replay: true }`: that job's retained outcomes, then
   * live ones (see the module comment: resuming a coordinator).
   */
  onOutcome(listener: (outcome: TaskOutcome) => void, options: OutcomeListenOptions = {}): () => void {
    if (options.jobId !== undefined) assertToken("jobId", options.jobId);
    if (!options.replay) {
      if (!this.liveOutcomes && !this.closed) void this.followLiveOutcomes().catch(() => {});
      const entry = { jobId: options.jobId, fn: listener };
      this.outcomeListeners.add(entry);
      return () => this.outcomeListeners.delete(entry);
    }
    const filter = options.jobId ? this.names.jobOutcomes(options.jobId) : `${this.ns}.outcomes.>`;
    const f = this.follow(this.names.outcomesStream, filter, "all", (m) => {
      const o = this.parseOutcome(m);
      if (o) this.safeCall(() => listener(o));
    });
    return () => f.stop();
  }

  // ---- events --------------------------------------------------------------------------

  async publishEvent(event: JobEvent): Promise<void> {
    assertToken("jobId", event.jobId);
    // Retried through a restart; a rare duplicate progress event is harmless.
    await this.publishRetrying(
      this.names.eventSubject(this.eventSource, event.jobId),
      encoder.encode(JSON.stringify(event)),
      undefined,
      30_000,
    );
  }

  /** The job's retained events (unless `replay: false`), then live ones, in order. */
  subscribeEvents(
    jobId: string,
    listener: (event: JobEvent) => void,
    options: EventSubscribeOptions = {},
  ): () => void {
    assertToken("jobId", jobId);
    const f = this.follow(
      this.names.eventsStream,
      this.names.jobEvents(jobId),
      options.replay === false ? "new" : "all",
      (m) => {
        let e: JobEvent;
        try {
          e = m.json<JobEvent>();
        } catch {
          return;
        }
        // A worker's event: only progress of its own stage, for the subject's job.
        const source = m.subject.slice(this.ns.length + ".events.".length).split(".")[0];
        if (
          typeof e !== "object" ||
          e === null ||
          e.jobId !== jobId ||
          (source !== CONTROL_SOURCE && (e.kind !== "progress" || e.stage !== source))
        ) {
          this.log("warn", "event not of its publisher's stage ignored", { subject: m.subject, jobId });
          return;
        }
        this.safeCall(() => listener(e));
      },
    );
    return () => f.stop();
  }

  /**
   * Follows `filter` on `stream` with an ordered consumer (recreated by the client after a
   * reconnect, from the last sequence it delivered). "new" starts after the stream's
   * current last sequence (looked up first, so nothing published after `ready` is missed).
   */
  private follow(stream: string, filter: string, from: "all" | "new", onMsg: (m: JsMsg) => void): Follower {
    let stopped = false;
    let iter: ConsumerMessages | undefined;
    let consumer: Consumer | undefined;
    const follower: Follower = {
      stop: () => {
        if (stopped) return;
        stopped = true;
        this.followers.delete(follower);
        void iter?.close();
        consumer?.delete().catch(() => {});
      },
      ready: (async () => {
        const start =
          from === "new"
            ? {
                deliver_policy: DeliverPolicy.StartSequence,
                opt_start_seq: (await this.jsm.streams.info(stream)).state.last_seq + 1,
              }
            : { deliver_policy: DeliverPolicy.All };
        if (stopped) return;
        consumer = await this.js.consumers.get(stream, {
          filter_subjects: filter,
          replay_policy: ReplayPolicy.Instant,
          ...start,
        });
        if (stopped) {
          consumer.delete().catch(() => {});
          return;
        }
        iter = await consumer.consume({ max_messages: 256, expires: this.pullExpiresMs });
        void (async () => {
          for await (const m of iter!) {
            if (stopped) break;
            onMsg(m);
          }
        })().catch((e) => {
          if (!stopped && !this.closed)
            this.log("error", "follower stopped", { stream, filter, error: errorMessage(e) });
        });
      })(),
    };
    this.followers.add(follower);
    follower.ready.catch((e) => {
      if (!stopped && !this.closed)
        this.log("error", "could not follow stream", { stream, filter, error: errorMessage(e) });
    });
    return follower;
  }

  // ---- lifecycle -----------------------------------------------------------------------

  /** Drains every worker (see CloseOptions), stops followers; closes the connection if owned. */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((w) => w.close(options)));
    this.workers.clear();
    for (const f of [...this.followers]) f.stop();
    this.liveOutcomes = undefined;
    this.cancelSub?.unsubscribe();
    this.giveUps?.unsubscribe();
    this.terminated?.unsubscribe();
    this.outcomeListeners.clear();
    if (this.options.ownsConnection) await this.nc.drain().catch(() => {});
    else if (!this.nc.isClosed()) await this.nc.flush().catch(() => {});
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
