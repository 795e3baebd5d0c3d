import type { ErrorInfo } from "@adq/core";
import type { Bus, TaskOutcome } from "@adq/platform";
import type { TaskGate } from "./fair-share.ts";

/**
 * A stage task failed for good: `permanent` when retrying could not help (bad input),
 * `taskInfo` what its typed error said about itself (status, reason, file), as the task's
 * outcome carried it across the bus.
 */
export class StageFailedError extends Error {
  override readonly name = "StageFailedError";
  constructor(
    readonly stage: string,
    readonly taskKey: string,
    readonly reason: string,
    readonly permanent: boolean,
    readonly taskInfo?: ErrorInfo,
  ) {
    super(`${stage} task ${taskKey} failed: ${reason}`);
  }
}

export class CancelledError extends Error {
  override readonly name = "CancelledError";
}

export interface FanOutOptions {
  signal?: AbortSignal;
  /** After each finished task (`finished`: its key; absent for the initial 0). */
  onProgress?: (done: number, total: number, finished?: string) => void;
  /**
   * Held for each task from its publication to its outcome (fair-share.ts): a task is
   * published only once the gate grants a slot. Without it every task is published at once.
   */
  gate?: TaskGate;
  /** Carried by every task (metrics and logs by tenant). */
  tenant?: string;
}

/**
 * Publishes one stage's tasks and waits for all their outcomes. Results come back in task
 * order, whatever order workers finished in. The first failed task (after the bus's
 * bounded retries) fails the stage; an aborted signal rejects with CancelledError.
 */
export async function fanOut<P, R>(
  bus: Bus,
  jobId: string,
  stage: string,
  tasks: ReadonlyArray<{ taskKey: string; payload: P }>,
  options: FanOutOptions = {},
): Promise<R[]> {
  const total = tasks.length;
  const results = new Map<string, R>();
  const order = new Map(tasks.map((t, i) => [t.taskKey, i]));
  if (order.size !== total) throw new Error(`${stage}: duplicate task keys`);
  if (total === 0) return [];
  let off: () => void = () => {};
  let onAbort: () => void = () => {};
  // Gate slots held by published tasks, released at their first outcome (or at the end).
  const slots = new Map<string, () => void>();
  const ended = new Set<string>();
  const settle = (taskKey: string) => {
    ended.add(taskKey);
    slots.get(taskKey)?.();
    slots.delete(taskKey);
  };
  const done = new Promise<R[]>((resolve, reject) => {
    // replay: a coordinator resuming this job after a restart also sees outcomes published
    // while it was down (durable buses); results are keyed by task, so duplicates are harmless.
    off = bus.onOutcome(
      (o: TaskOutcome) => {
        if (o.task.jobId !== jobId || o.task.stage !== stage || !order.has(o.task.taskKey)) return;
        settle(o.task.taskKey);
        if (!o.ok) {
          reject(
            new StageFailedError(
              stage,
              o.task.taskKey,
              o.error ?? "unknown error",
              o.permanent ?? false,
              o.errorInfo,
            ),
          );
          return;
        }
        if (results.has(o.task.taskKey)) return; // a redelivered duplicate: first result wins
        results.set(o.task.taskKey, o.result as R);
        options.onProgress?.(results.size, total, o.task.taskKey);
        if (results.size === total) resolve(tasks.map((t) => results.get(t.taskKey)!));
      },
      { jobId, replay: true },
    );
    onAbort = () => reject(new CancelledError(`job ${jobId} was cancelled`));
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  let finished = false;
  const publishAll = async () => {
    const { gate, tenant, signal } = options;
    for (const t of tasks) {
      if (finished) return;
      // A resumed job sees its earlier outcomes replayed: what has ended is not published again.
      if (ended.has(t.taskKey)) continue;
      if (gate) {
        const release = await gate(stage, signal).catch((e: unknown) => {
          throw signal?.aborted ? new CancelledError(`job ${jobId} was cancelled`) : e;
        });
        if (finished || ended.has(t.taskKey)) {
          release();
          if (finished) return;
          continue;
        }
        slots.set(t.taskKey, release);
      }
      await bus.publishTask({
        jobId,
        stage,
        taskKey: t.taskKey,
        payload: t.payload,
        ...(tenant !== undefined ? { tenant } : {}),
      });
    }
  };
  try {
    options.onProgress?.(0, total);
    // The stage may fail (or be cancelled) while tasks still wait for the gate: stop there.
    const published = publishAll();
    published.catch(() => {});
    done.catch(() => {}); // whichever loses the race is still awaited or dropped here
    await Promise.race([published, done]);
    return await done;
  } finally {
    finished = true;
    off();
    options.signal?.removeEventListener("abort", onAbort);
    for (const release of slots.values()) release();
    slots.clear();
  }
}
