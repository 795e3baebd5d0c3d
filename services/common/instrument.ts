/**
 * A Bus decorator for stage workers: every task handler gets a structured log line when it
 * starts and ends (with `job_id`, `stage`, `task_key`, `attempt`), Prometheus metrics
 * (tasks by outcome, durations, in-flight tasks) and — for the reliability tests only —
 * fault injection (a delay before every task, or a failure of every task).
 */
import {
  type Bus,
  type ConsumeOptions,
  PermanentTaskError,
  type Subscription,
  type TaskHandler,
} from "@adq/platform";
import type { Logger } from "./log.ts";
import type { Counter, Gauge, Histogram, Registry } from "./metrics.ts";

export interface TaskMetrics {
  tasks: Counter;
  durations: Histogram;
  inFlight: Gauge;
}

export function taskMetrics(registry: Registry): TaskMetrics {
  return {
    tasks: registry.counter(
      "adq_tasks_total",
      "Stage task attempts by stage and outcome (ok, error, permanent_error, aborted)",
    ),
    durations: registry.histogram("adq_task_duration_seconds", "Wall time of stage task attempts"),
    inFlight: registry.gauge("adq_tasks_in_flight", "Stage tasks running now"),
  };
}

/**
 * Test-only fault injection, read from the environment of a stage process:
 * - `ADQ_TEST_TASK_DELAY_MS=n`: every task waits n ms before running (abortable: a
 *   cancelled job's task stops at once). Makes "kill a worker mid-task" deterministic.
 * - `ADQ_TEST_TASK_FAIL=message`: every task fails with that (retryable) error.
 */
export interface FaultInjection {
  delayMs?: number;
  failMessage?: string;
}

export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): FaultInjection {
  const delay = Number(env.ADQ_TEST_TASK_DELAY_MS ?? 0);
  return {
    ...(Number.isFinite(delay) && delay > 0 ? { delayMs: delay } : {}),
    ...(env.ADQ_TEST_TASK_FAIL ? { failMessage: env.ADQ_TEST_TASK_FAIL } : {}),
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error("aborted"));
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface InstrumentOptions {
  log: Logger;
  metrics?: TaskMetrics;
  faults?: FaultInjection;
}

export class InstrumentedBus implements Bus {
  /** Subscriptions made through this wrapper (the NatsBus ones have a `ready` promise). */
  readonly subscriptions: Array<Subscription & { ready?: Promise<void> }> = [];

  constructor(
    readonly inner: Bus,
    private readonly o: InstrumentOptions,
  ) {}

  consume(stage: string, handler: TaskHandler, options?: ConsumeOptions): Subscription {
    const { metrics, faults } = this.o;
    const wrapped: TaskHandler = async (task, ctx) => {
      const log = this.o.log.child({
        job_id: task.jobId,
        stage,
        task_key: task.taskKey,
        ...(typeof task.tenant === "string" ? { tenant: task.tenant } : {}),
        attempt: ctx.attempt,
      });
      const t0 = performance.now();
      // The tenant label is what the coordinator stamped on the task ("" from older ones).
      const tenant = typeof task.tenant === "string" ? task.tenant : "";
      metrics?.inFlight.inc({ stage, tenant });
      log.info("task_started");
      let outcome = "ok";
      try {
        if (faults?.delayMs) await abortableSleep(faults.delayMs, ctx.signal);
        if (faults?.failMessage) throw new Error(faults.failMessage);
        return await handler(task, ctx);
      } catch (e) {
        const permanent = e instanceof PermanentTaskError;
        outcome = ctx.signal.aborted ? "aborted" : permanent ? "permanent_error" : "error";
        log.log(outcome === "aborted" ? "info" : "warn", "task_failed", {
          outcome,
          error: e instanceof Error ? e.message : String(e),
        });
        throw e;
      } finally {
        const secs = (performance.now() - t0) / 1000;
        metrics?.inFlight.dec({ stage, tenant });
        metrics?.durations.observe({ stage, tenant }, secs);
        metrics?.tasks.inc({ stage, outcome, tenant });
        log.info("task_finished", { outcome, ms: Math.round(secs * 1000) });
      }
    };
    const sub = this.inner.consume(stage, wrapped, options);
    this.subscriptions.push(sub);
    return sub;
  }

  /** Resolves once every subscription pulls from its queue (NatsBus), at once otherwise. */
  async ready(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.ready));
  }

  publishTask: Bus["publishTask"] = (t) => this.inner.publishTask(t);
  onOutcome: Bus["onOutcome"] = (l, o) => this.inner.onOutcome(l, o);
  publishEvent: Bus["publishEvent"] = (e) => this.inner.publishEvent(e);
  subscribeEvents: Bus["subscribeEvents"] = (id, l) => this.inner.subscribeEvents(id, l);
  cancelJob: Bus["cancelJob"] = (id) => this.inner.cancelJob(id);
  close: Bus["close"] = () => this.inner.close();
}
