import {
  type Bus,
  type ConsumeOptions,
  failedOutcome,
  type JobEvent,
  type OutcomeListenOptions,
  PermanentTaskError,
  type Subscription,
  type TaskHandler,
  type TaskMessage,
  type TaskOutcome,
} from "./ports.ts";

interface Queue {
  pending: TaskMessage[];
  consumers: Consumer[];
}

interface Consumer {
  handler: TaskHandler;
  concurrency: number;
  maxAttempts: number;
  running: number;
  closed: boolean;
  idle: Array<() => void>;
  controller: AbortController;
}

/**
 * Embedded Bus: per-stage in-process FIFO work queues with at-least-once semantics like
 * the JetStream adapter — a handler that throws is retried up to `maxAttempts` deliveries
 * (a PermanentTaskError is not retried), then reported as a failed outcome.
 */
export class LocalBus implements Bus {
  private readonly queues = new Map<string, Queue>();
  private readonly outcomeListeners = new Set<(o: TaskOutcome) => void>();
  private readonly eventListeners = new Map<string, Set<(e: JobEvent) => void>>();
  private closed = false;

  private queue(stage: string): Queue {
    let q = this.queues.get(stage);
    if (!q) {
      q = { pending: [], consumers: [] };
      this.queues.set(stage, q);
    }
    return q;
  }

  async publishTask(task: TaskMessage): Promise<void> {
    if (this.closed) throw new Error("bus is closed");
    this.queue(task.stage).pending.push({ ...task, attempt: task.attempt ?? 1 });
    this.pump(task.stage);
  }

  consume(stage: string, handler: TaskHandler, options: ConsumeOptions = {}): Subscription {
    const c: Consumer = {
      handler,
      concurrency: Math.max(1, options.concurrency ?? 1),
      maxAttempts: Math.max(1, options.maxAttempts ?? 3),
      running: 0,
      closed: false,
      idle: [],
      controller: new AbortController(),
    };
    const q = this.queue(stage);
    q.consumers.push(c);
    this.pump(stage);
    return {
      close: async () => {
        c.closed = true;
        q.consumers = q.consumers.filter((x) => x !== c);
        if (c.running > 0) await new Promise<void>((resolve) => c.idle.push(resolve));
      },
    };
  }

  /** Aborts in-flight handlers of every consumer (used by cancellation and shutdown). */
  abortAll(): void {
    for (const q of this.queues.values()) for (const c of q.consumers) c.controller.abort();
  }

  /**
   * Drops the job's queued (not yet started) tasks. Its tasks in flight run on: in one process
   * the job's own AbortSignal (the coordinator's) stops what reads it.
   */
  async cancelJob(jobId: string): Promise<number> {
    return this.dropQueued(jobId);
  }

  /** Drops queued (not yet started) tasks of a job; returns how many. */
  dropQueued(jobId: string): number {
    let n = 0;
    for (const q of this.queues.values()) {
      const before = q.pending.length;
      q.pending = q.pending.filter((t) => t.jobId !== jobId);
      n += before - q.pending.length;
    }
    return n;
  }

  private pump(stage: string): void {
    const q = this.queue(stage);
    for (const c of q.consumers) {
      while (!c.closed && c.running < c.concurrency && q.pending.length > 0) {
        const task = q.pending.shift()!;
        c.running++;
        // Run on a later tick so publishers never execute handlers synchronously.
        setImmediate(() => void this.run(stage, c, task));
      }
    }
  }

  private async run(stage: string, c: Consumer, task: TaskMessage): Promise<void> {
    const attempt = task.attempt ?? 1;
    let outcome: TaskOutcome | undefined;
    try {
      const result = await c.handler(task, { attempt, signal: c.controller.signal });
      outcome = { task, ok: true, result };
    } catch (e) {
      const permanent = e instanceof PermanentTaskError;
      if (!permanent && attempt < c.maxAttempts && !this.closed) {
        this.queue(stage).pending.push({ ...task, attempt: attempt + 1 });
      } else {
        outcome = failedOutcome(task, e, permanent);
      }
    } finally {
      c.running--;
      if (c.running === 0) for (const f of c.idle.splice(0)) f();
      if (!this.closed) this.pump(stage);
    }
    if (outcome) for (const l of this.outcomeListeners) l(outcome);
  }

  onOutcome(listener: (o: TaskOutcome) => void, options: OutcomeListenOptions = {}): () => void {
    const { jobId } = options;
    const l = jobId === undefined ? listener : (o: TaskOutcome) => o.task.jobId === jobId && listener(o);
    this.outcomeListeners.add(l);
    return () => this.outcomeListeners.delete(l);
  }

  async publishEvent(event: JobEvent): Promise<void> {
    for (const l of this.eventListeners.get(event.jobId) ?? []) l(event);
  }

  subscribeEvents(jobId: string, listener: (e: JobEvent) => void): () => void {
    let set = this.eventListeners.get(jobId);
    if (!set) {
      set = new Set();
      this.eventListeners.set(jobId, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.queues.values()].flatMap((q) =>
        q.consumers.map((c) =>
          c.running > 0 ? new Promise<void>((r) => c.idle.push(r)) : Promise.resolve(),
        ),
      ),
    );
  }
}
