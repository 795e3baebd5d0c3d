/**
 * Fair share of the stage queues between tenants (README "How work is shared between tenants").
 *
 * Each stage's NATS queue is FIFO and shared by every job. Publishing a job's whole stage at
 * once (the old fan-out) put a large job's hundreds of tasks ahead of another tenant's small
 * job, which then waited for all of them. Instead the coordinator keeps each tenant's
 * *outstanding* tasks per stage (published, outcome not yet seen) under a window: a tenant
 * publishes its next task only when one of its earlier ones has ended. The queue then holds
 * at most `window` tasks of each tenant per stage, so another tenant's task waits behind at
 * most that many — whatever the size of the jobs ahead of it — while one tenant alone still
 * keeps `window` workers busy. GPU stages have their own, usually smaller, window: the
 * per-tenant quota of GPU tasks.
 *
 * These windows live in one process (the embedded mode, one coordinator); the cluster's
 * coordinators share theirs through the KV bucket (shared-fair-share.ts). Waiters are served
 * FIFO, so a tenant's jobs share its window in turn.
 * Acquire and release are O(1).
 */
import { abortableWait, removeFrom, type Waiter } from "./waiter.ts";

/** Waits for a slot of `stage`'s window; resolves to its release (idempotent). */
export type TaskGate = (stage: string, signal?: AbortSignal) => Promise<() => void>;

export interface FairShareOptions {
  /** Outstanding tasks per tenant per stage (≥ 1). */
  tasksPerStage: number;
  /** Outstanding tasks per tenant on each GPU stage (≥ 1): the GPU quota. */
  gpuTasksPerStage: number;
  /** Stages that run on GPUs (the model stages). */
  gpuStages: readonly string[];
}

/** The model stages, which the chart puts on the GPU pool (charts/adq values `gpu.enabled`). */
export const GPU_STAGES = ["features", "sampling"] as const;

/**
 * The window of each stage from the options (checked: integers ≥ 1): the GPU quota on a GPU
 * stage, else the per-stage one.
 */
export function windowLimits(o: FairShareOptions): (stage: string) => number {
  for (const [k, v] of [
    ["tasksPerStage", o.tasksPerStage],
    ["gpuTasksPerStage", o.gpuTasksPerStage],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be an integer ≥ 1, got ${v}`);
  const gpu = new Set(o.gpuStages);
  return (stage) => (gpu.has(stage) ? o.gpuTasksPerStage : o.tasksPerStage);
}

interface Window {
  active: number;
  readonly limit: number;
  readonly waiters: Array<Waiter<void>>;
}

export class FairShare {
  private readonly windows = new Map<string, Window>();
  private readonly limitOf: (stage: string) => number;

  constructor(o: FairShareOptions) {
    this.limitOf = windowLimits(o);
  }

  /** The gate of one tenant's jobs. */
  gate(tenant: string): TaskGate {
    return (stage, signal) => this.acquire(tenant, stage, signal);
  }

  /** Outstanding tasks of `tenant` on `stage` now (tests, metrics). */
  outstanding(tenant: string, stage: string): number {
    return this.windows.get(`${tenant}\0${stage}`)?.active ?? 0;
  }

  private window(tenant: string, stage: string): Window {
    const key = `${tenant}\0${stage}`;
    let w = this.windows.get(key);
    if (!w) {
      w = { active: 0, limit: this.limitOf(stage), waiters: [] };
      this.windows.set(key, w);
    }
    return w;
  }

  private acquire(tenant: string, stage: string, signal?: AbortSignal): Promise<() => void> {
    const key = `${tenant}\0${stage}`;
    const w = this.window(tenant, stage);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = w.waiters.shift();
      if (next)
        next.grant(); // the slot passes straight to the next waiter
      else {
        w.active--;
        if (w.active === 0) this.windows.delete(key); // bounded memory: idle tenants leave no entry
      }
    };
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    if (w.active < w.limit) {
      w.active++;
      return Promise.resolve(release);
    }
    return abortableWait<void>(
      signal,
      {},
      (waiter) => w.waiters.push(waiter),
      (waiter) => removeFrom(w.waiters, waiter),
    ).then(() => release);
  }
}
