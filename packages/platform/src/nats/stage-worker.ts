/**
 * The worker side of the NATS Bus: what `NatsBus.consume(stage, handler)` starts. Each of
 * `concurrency` slots pulls one task at a time from the stage's durable consumer, runs the
 * handler with in-progress heartbeats, publishes the outcome before acking, and settles
 * failures by NAK with backoff, termination after the last attempt, or the MAX_DELIVERIES
 * advisory (the delivery semantics are in nats-bus.ts's module comment).
 */
import {
  AckPolicy,
  type Consumer,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  ReplayPolicy,
} from "@nats-io/jetstream";
import type { Subscription as CoreSubscription } from "@nats-io/transport-node";
import { failedOutcome, type TaskHandler, type TaskMessage, type TaskOutcome } from "../ports.ts";
import { ApiCodes, ensureConsumer, isApiError, type NatsConnection, nanos } from "./connection.ts";
import type { Logger } from "./logger.ts";
import type { BusNames } from "./nats-bus.ts";
import { errorMessage, sleep } from "./retry.ts";

export interface CloseOptions {
  /**
   * Wait at most this long for in-flight handlers; then abort their signals, and NAK
   * (immediate redelivery elsewhere) those that have not settled 1 s later. Default: wait.
   */
  timeoutMs?: number;
}

/**
 * What a stage worker needs from its bus (NatsBus implements it): the connection, the
 * names, the timing settings, and the bus's outcome publishing and cancel memory.
 */
export interface WorkerHost {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly names: BusNames;
  readonly log: Logger;
  readonly ackWaitMs: number;
  readonly heartbeatMs: number;
  readonly pullExpiresMs: number;
  readonly retryBackoffMs: readonly number[];
  /**
   * Whether `consume()` declares its stage's durable consumer itself (a bus embedded in one
   * process). False in the cluster: the control plane declares every consumer
   * (`NatsBus.ensureStageConsumers`) and handles given-up tasks; a worker only binds to its
   * consumer (INFO, MSG.NEXT, ACK: deploy/nats/adq-auth.conf) and takes `max_deliver` and
   * `ack_wait` from it.
   */
  readonly declareConsumers: boolean;
  /** Declares the streams again (a wiped server). */
  ensureStreams(): Promise<void>;
  /** Whether the job was cancelled recently: its late tasks are terminated unrun. */
  isCancelled(jobId: string): boolean;
  /** Publishes an outcome; false when it had to give up (the task is then left unacked). */
  publishOutcome(outcome: TaskOutcome, giveUp?: () => boolean): Promise<boolean>;
}

/** A handler failure that no retry can cure: terminated at once with a permanent outcome. */
function isPermanent(e: unknown): boolean {
  return e instanceof Error && e.name === "PermanentTaskError";
}

const RELEASED: unique symbol = Symbol("released");

interface InFlight {
  task: TaskMessage;
  msg: JsMsg;
  controller: AbortController;
  /** Settled by close(timeout) (NAKed): the handler's late result is dropped. */
  released: boolean;
  releasedSignal: Promise<typeof RELEASED>;
  release(): void;
  /** Aborted because the job was cancelled: terminate without outcome. */
  cancelled: boolean;
  /** Aborted by close(timeout): NAK for immediate redelivery, no outcome. */
  shutdown: boolean;
}

/** A stage's durable pull consumer: its queue, shared by every worker of the stage. */
export function stageConsumerConfig(
  names: BusNames,
  stage: string,
  ackWaitMs: number,
  maxAttempts: number,
): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: names.consumer(stage),
    description: `ADQ ${stage} workers`,
    filter_subject: names.stageFilter(stage),
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_deliver: maxAttempts,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
  };
}

/**
 * A task the server gave up on (MAX_DELIVERIES advisory: its worker died on the last allowed
 * delivery): read it back by sequence, publish its failed outcome (deduplicated), delete it.
 * Needs read/delete rights on the task stream: the declaring side's job.
 */
export async function giveUpTask(
  host: Pick<WorkerHost, "jsm" | "names" | "ackWaitMs" | "publishOutcome">,
  adv: { stream_seq: number; deliveries: number },
): Promise<void> {
  const { jsm } = host;
  const stream = host.names.tasksStream;
  let task: TaskMessage;
  try {
    const sm = await jsm.streams.getMessage(stream, { seq: adv.stream_seq });
    if (!sm) return;
    task = sm.json<TaskMessage>();
  } catch {
    return; // already handled (deleted) by another process
  }
  const ok = await host.publishOutcome({
    task: { ...task, attempt: adv.deliveries },
    ok: false,
    permanent: false,
    error: `gave up after ${adv.deliveries} deliveries: the worker died or stopped heartbeating (ack wait ${host.ackWaitMs} ms)`,
  });
  if (ok) await jsm.streams.deleteMessage(stream, adv.stream_seq, false).catch(() => {});
}

/** The workers of one `consume()` call: `concurrency` slots pulling one task each. */
export class StageWorker {
  readonly ready: Promise<void>;
  private readonly stopPulling = new AbortController();
  private readonly inflight = new Set<InFlight>();
  private readonly fetches = new Set<ConsumerMessages>();
  private readonly idleWaiters: Array<() => void> = [];
  private consumer: Consumer | undefined;
  private ensuring: Promise<void> | undefined;
  private advisory: CoreSubscription | undefined;
  private loops: Promise<void>[] = [];
  /** From the consumer's config when bound to one declared by the control plane. */
  private maxAttempts: number;
  private heartbeatMs: number;
  private waitingLogged = false;
  private closing = false;
  private closePromise: Promise<void> | undefined;

  constructor(
    private readonly bus: WorkerHost,
    readonly stage: string,
    private readonly handler: TaskHandler,
    private readonly opts: { concurrency: number; maxAttempts: number },
  ) {
    this.maxAttempts = opts.maxAttempts;
    this.heartbeatMs = bus.heartbeatMs;
    this.ready = this.start();
    this.ready.catch(() => {});
  }

  private get stream(): string {
    return this.bus.names.tasksStream;
  }

  private async start(): Promise<void> {
    // Retry the set-up until it works or the worker is closed (nats-server may be restarting).
    for (let i = 0; !this.closing; i++) {
      try {
        await this.ensureConsumer();
        break;
      } catch (e) {
        this.bus.log("warn", "stage consumer set-up failed, retrying", {
          stage: this.stage,
          error: errorMessage(e),
        });
        await sleep(Math.min(5000, 200 * 2 ** i), this.stopPulling.signal);
      }
    }
    if (this.closing) return;
    const durable = this.bus.names.consumer(this.stage);
    // Given-up tasks are the declaring side's: a bound worker may not read or delete them.
    if (this.bus.declareConsumers)
      this.advisory = this.bus.nc.subscribe(
        `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.stream}.${durable}`,
        {
          callback: (err, m) => {
            if (err) return;
            try {
              void this.onMaxDeliveries(m.json<{ stream_seq: number; deliveries: number }>());
            } catch {
              // not an advisory we understand
            }
          },
        },
      );
    for (let i = 0; i < this.opts.concurrency; i++) this.loops.push(this.loop());
  }

  private ensureConsumer(): Promise<void> {
    this.ensuring ??= (async () => {
      const durable = this.bus.names.consumer(this.stage);
      try {
        if (!this.bus.declareConsumers) {
          await this.bindConsumer(durable);
          return;
        }
        const declare = () =>
          ensureConsumer(
            this.bus.jsm,
            this.stream,
            stageConsumerConfig(this.bus.names, this.stage, this.bus.ackWaitMs, this.opts.maxAttempts),
          );
        try {
          await declare();
        } catch (e) {
          // A wiped server (new volume): declare the streams again, then the consumer.
          if (!isApiError(e, ApiCodes.StreamNotFound)) throw e;
          await this.bus.ensureStreams();
          await declare();
        }
        this.consumer = await this.bus.jsm.jetstream().consumers.get(this.stream, durable);
      } finally {
        this.ensuring = undefined;
      }
    })();
    return this.ensuring;
  }

  /**
   * Binds to the consumer the control plane declared, waiting for it as for nats-server
   * itself. One whose filter is not this stage's (tampered with) is not pulled from: it
   * would hand this worker another stage's tasks.
   */
  private async bindConsumer(durable: string): Promise<void> {
    for (let i = 0; !this.closing; i++) {
      let info: ConsumerInfo | undefined;
      try {
        info = await this.bus.jsm.consumers.info(this.stream, durable);
      } catch (e) {
        if (!isApiError(e, ApiCodes.ConsumerNotFound, ApiCodes.StreamNotFound)) throw e;
      }
      const want = this.bus.names.stageFilter(this.stage);
      if (info && info.config.filter_subject === want) {
        this.maxAttempts = Math.max(1, info.config.max_deliver ?? this.opts.maxAttempts);
        const ackWaitMs = (info.config.ack_wait ?? 0) / 1e6;
        if (ackWaitMs > 0) this.heartbeatMs = Math.max(100, Math.min(this.bus.heartbeatMs, ackWaitMs / 3));
        this.consumer = await this.bus.jsm.jetstream().consumers.get(this.stream, durable);
        return;
      }
      if (!this.waitingLogged || info) {
        this.waitingLogged = true;
        this.bus.log(
          info ? "error" : "info",
          info
            ? "stage consumer has a foreign filter, not pulling"
            : "waiting for the control plane to declare the stage consumer",
          {
            stage: this.stage,
            ...(info ? { filter: info.config.filter_subject, expected: want } : {}),
          },
        );
      }
      await sleep(Math.min(5000, 250 * 2 ** i), this.stopPulling.signal);
    }
  }

  /** One slot: pull one task, run it, settle it, repeat. */
  private async loop(): Promise<void> {
    let failures = 0;
    let pulledAt = 0;
    while (!this.closing && !this.bus.nc.isClosed()) {
      let msg: JsMsg | undefined;
      try {
        if (!this.consumer) await this.ensureConsumer();
        pulledAt = Date.now();
        const iter = await this.consumer!.fetch({ max_messages: 1, expires: this.bus.pullExpiresMs });
        this.fetches.add(iter);
        try {
          for await (const m of iter) {
            msg = m;
            break;
          }
        } finally {
          this.fetches.delete(iter);
          void iter.close();
        }
        failures = 0;
      } catch (e) {
        if (this.closing || this.bus.nc.isClosed()) break;
        failures++;
        if (isApiError(e, ApiCodes.ConsumerNotFound, ApiCodes.StreamNotFound) || failures > 2) {
          this.consumer = undefined; // re-declare (e.g. a wiped server) on the next turn
        }
        this.bus.log(failures > 3 ? "warn" : "debug", "pull failed, retrying", {
          stage: this.stage,
          error: errorMessage(e),
        });
        await sleep(Math.min(2000, 100 * 2 ** failures), this.stopPulling.signal);
        continue;
      }
      if (!msg) {
        // A pull that ended early without a message (e.g. the server refused it): don't spin.
        if (Date.now() - pulledAt < 100) await sleep(100, this.stopPulling.signal);
        continue;
      }
      if (this.closing) {
        msg.nak(); // pulled while closing: give it straight back
        continue;
      }
      await this.process(msg);
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    let task: TaskMessage;
    try {
      task = msg.json<TaskMessage>();
      if (typeof task?.jobId !== "string" || typeof task.taskKey !== "string") throw new Error("not a task");
    } catch (e) {
      this.bus.log("error", "malformed task terminated", { subject: msg.subject, error: errorMessage(e) });
      this.terminate(msg, "malformed task");
      return;
    }
    if (this.bus.isCancelled(task.jobId)) {
      this.terminate(msg, "job cancelled");
      return;
    }
    const attempt = msg.info.deliveryCount;
    let release: () => void = () => {};
    const entry: InFlight = {
      task,
      msg,
      controller: new AbortController(),
      released: false,
      releasedSignal: new Promise<typeof RELEASED>((r) => {
        release = () => r(RELEASED);
      }),
      release: () => release(),
      cancelled: false,
      shutdown: false,
    };
    this.inflight.add(entry);
    const heartbeat = setInterval(() => {
      try {
        msg.working();
      } catch {
        // disconnected or closed: redelivery after ack_wait takes over
      }
    }, this.heartbeatMs);
    try {
      let outcome: TaskOutcome | undefined;
      let settle: "ack" | "term" | "nak" = "ack";
      let delay = 0;
      try {
        const run = Promise.resolve().then(() =>
          this.handler({ ...task, attempt }, { attempt, signal: entry.controller.signal }),
        );
        const result = await Promise.race([run, entry.releasedSignal]);
        if (result === RELEASED) {
          run.catch(() => {}); // settled by close(timeout); its late result is dropped
          return;
        }
        outcome = { task: { ...task, attempt }, ok: true, result };
      } catch (e) {
        if (entry.cancelled) settle = "term";
        else if (entry.shutdown) settle = "nak";
        else {
          const permanent = isPermanent(e);
          if (permanent || attempt >= this.maxAttempts) {
            outcome = failedOutcome({ ...task, attempt }, e, permanent);
            settle = "term";
          } else {
            settle = "nak";
            const b = this.bus.retryBackoffMs;
            delay = b[Math.min(attempt - 1, b.length - 1)] ?? 0;
            this.bus.log("info", "task failed, will retry", {
              jobId: task.jobId,
              stage: this.stage,
              taskKey: task.taskKey,
              attempt,
              error: errorMessage(e),
            });
          }
        }
      }
      if (entry.released) return;
      if (outcome && !(await this.bus.publishOutcome(outcome, () => entry.released))) {
        if (!entry.released) msg.nak();
        return;
      }
      if (entry.released) return;
      if (settle === "ack") {
        try {
          await msg.ackAck({ timeout: 5000 });
        } catch {
          // lost ack: the task is redelivered and its duplicate outcome ignored
        }
      } else if (settle === "term")
        this.terminate(msg, outcome ? "final outcome published" : "job cancelled");
      else if (delay > 0) msg.nak(delay);
      else msg.nak();
    } finally {
      clearInterval(heartbeat);
      this.inflight.delete(entry);
      if (this.inflight.size === 0) for (const f of this.idleWaiters.splice(0)) f();
    }
  }

  /**
   * Terminates a delivery and removes the message from the work queue: some servers
   * (2.9) keep a terminated message in a work-queue stream until it is deleted.
   */
  private terminate(msg: JsMsg, reason: string): void {
    try {
      msg.term(reason);
    } catch {
      return; // closed: it is redelivered and settled again
    }
    // A bound worker may not delete messages; the control plane purges the job's tasks.
    if (this.bus.declareConsumers)
      this.bus.jsm.streams.deleteMessage(this.stream, msg.info.streamSequence, false).catch(() => {});
  }

  private onMaxDeliveries(adv: { stream_seq: number; deliveries: number }): Promise<void> {
    return giveUpTask(this.bus, adv);
  }

  abortJob(jobId: string): void {
    for (const e of this.inflight) {
      if (e.task.jobId !== jobId) continue;
      e.cancelled = true;
      e.controller.abort(new Error(`job ${jobId} was cancelled`));
    }
  }

  private waitIdle(): Promise<void> {
    if (this.inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closePromise ??= this.doClose(options);
    return this.closePromise;
  }

  private async doClose(options: CloseOptions): Promise<void> {
    this.closing = true;
    this.stopPulling.abort();
    for (const f of this.fetches) void f.close();
    this.advisory?.unsubscribe();
    const idle = this.waitIdle();
    if (options.timeoutMs === undefined) await idle;
    else {
      const timedOut = await Promise.race([
        idle.then(() => false),
        sleep(options.timeoutMs).then(() => true),
      ]);
      if (timedOut) {
        for (const e of this.inflight) {
          e.shutdown = true;
          e.controller.abort(new Error("worker is shutting down"));
        }
        const stuck = await Promise.race([idle.then(() => false), sleep(1000).then(() => true)]);
        if (stuck) {
          for (const e of [...this.inflight]) {
            e.released = true;
            e.release();
            try {
              e.msg.nak();
            } catch {
              // closed: redelivery after ack_wait
            }
            this.inflight.delete(e);
          }
          for (const f of this.idleWaiters.splice(0)) f();
        }
      }
    }
    await this.ready.catch(() => {});
    await Promise.allSettled(this.loops);
    if (!this.bus.nc.isClosed()) await this.bus.nc.flush().catch(() => {});
  }
}
