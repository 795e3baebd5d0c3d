import type { Bus, TaskHandler } from "./ports.ts";

/**
 * A Bus whose `consume` runs every task through `guard` before its handler: the guard may refuse
 * the task (throw, e.g. a PermanentTaskError) or run the handler inside a context of its own.
 * Everything else is the wrapped bus. One decorator for the worker-side checks on queued tasks
 * (task paths, data grants), so each check is only its own rule.
 */
export function guardTasks(
  bus: Bus,
  guard: (task: Parameters<TaskHandler>[0], run: () => Promise<unknown>) => Promise<unknown>,
): Bus {
  return new Proxy(bus, {
    get(target, prop, receiver) {
      if (prop === "consume")
        return ((stage, handler, options) =>
          target.consume(
            stage,
            (task, ctx) => guard(task, () => handler(task, ctx)),
            options,
          )) as Bus["consume"];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
