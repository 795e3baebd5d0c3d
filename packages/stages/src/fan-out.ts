import type { ErrorInfo } from "@adq/core";
import type { Bus, TaskOutcome } from "@adq/platform";

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
  options: {
    signal?: AbortSignal;
    /** After each finished task (`finished`: its key; absent for the initial 0). */
    onProgress?: (done: number, total: number, finished?: string) => void;
  } = {},
): Promise<R[]> {
  const total = tasks.length;
  const results = new Map<string, R>();
  const order = new Map(tasks.map((t, i) => [t.taskKey, i]));
  if (order.size !== total) throw new Error(`${stage}: duplicate task keys`);
  if (total === 0) return [];
  let off: () => void = () => {};
  let onAbort: () => void = () => {};
  const done = new Promise<R[]>((resolve, reject) => {
    // replay: a coordinator resuming this job after a restart also sees outcomes published
    // while it was down (durable buses); results are keyed by task, so duplicates are harmless.
    off = bus.onOutcome(
      (o: TaskOutcome) => {
        if (o.task.jobId !== jobId || o.task.stage !== stage || !order.has(o.task.taskKey)) return;
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
  try {
    options.onProgress?.(0, total);
    for (const t of tasks) await bus.publishTask({ jobId, stage, taskKey: t.taskKey, payload: t.payload });
    return await done;
  } finally {
    off();
    options.signal?.removeEventListener("abort", onAbort);
  }
}
