import type { Bus, TaskHandler } from "@adq/platform";

/**
 * `inner` with the handler of every task it delivers wrapped by `wrap` (what a test records,
 * slows down or counts); everything else passes straight through.
 */
export function wrapHandlers(inner: Bus, wrap: (stage: string, handler: TaskHandler) => TaskHandler): Bus {
  return {
    publishTask: (t) => inner.publishTask(t),
    onOutcome: (l, o) => inner.onOutcome(l, o),
    publishEvent: (e) => inner.publishEvent(e),
    subscribeEvents: (id, l) => inner.subscribeEvents(id, l),
    close: () => inner.close(),
    cancelJob: (id) => inner.cancelJob(id),
    consume: (stage, handler, options) => inner.consume(stage, wrap(stage, handler), options),
  };
}

/** Runs `run` and waits at least `ms` before resolving with its result. */
export async function atLeast<T>(ms: number, run: Promise<T>): Promise<T> {
  const [r] = await Promise.all([run, new Promise((res) => setTimeout(res, ms))]);
  return r;
}
