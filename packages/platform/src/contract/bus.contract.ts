import { describe, expect, it } from "vitest";
import type { Bus, ConsumeOptions, TaskHandler, TaskOutcome } from "../ports.ts";
import { PermanentTaskError } from "../ports.ts";

function waitFor(bus: Bus, count: number): Promise<TaskOutcome[]> {
  return new Promise((resolve) => {
    const seen: TaskOutcome[] = [];
    const off = bus.onOutcome((o) => {
      seen.push(o);
      if (seen.length === count) {
        off();
        resolve(seen);
      }
    });
  });
}

/**
 * Has `handler` consume `stage`, publishes there one task of job "j" per key (payload
 * `payload(i)`) and resolves with their outcomes once all have come, the subscription closed.
 */
async function runTasks(
  bus: Bus,
  stage: string,
  handler: TaskHandler,
  keys: string[],
  options?: ConsumeOptions,
  payload: (i: number) => unknown = () => null,
): Promise<TaskOutcome[]> {
  const sub = bus.consume(stage, handler, options);
  const done = waitFor(bus, keys.length);
  for (const [i, taskKey] of keys.entries())
    await bus.publishTask({ jobId: "j", stage, taskKey, payload: payload(i) });
  const outcomes = await done;
  await sub.close();
  return outcomes;
}

/** Work-queue semantics every Bus adapter must show (in-process, NATS JetStream). */
export function busContract(name: string, make: () => Promise<Bus>): void {
  describe(`Bus contract: ${name}`, () => {
    it("delivers every task once to a consumer and reports outcomes", async () => {
      const bus = await make();
      const seen: string[] = [];
      const keys = ["c0", "c1", "c2", "c3", "c4"];
      const handler: TaskHandler = async (t) => {
        seen.push(t.taskKey);
        return { key: t.taskKey };
      };
      const outcomes = await runTasks(bus, "binning", handler, keys, {}, (i) => ({ i }));
      expect(seen.sort()).toEqual(keys);
      expect(outcomes.every((o) => o.ok)).toBe(true);
      await bus.close();
    });

    it("redelivers a failing task up to maxAttempts, then reports failure", async () => {
      const bus = await make();
      let calls = 0;
      const flaky: TaskHandler = async (_t, ctx) => {
        calls++;
        if (ctx.attempt < 3) throw new Error(`flaky ${ctx.attempt}`);
        return "ok";
      };
      const [o] = await runTasks(bus, "scoring", flaky, ["b0"], { maxAttempts: 3 });
      expect(o?.ok).toBe(true);
      expect(calls).toBe(3);
      await bus.close();
    });

    it("does not retry a permanent failure", async () => {
      const bus = await make();
      let calls = 0;
      const corrupt: TaskHandler = async () => {
        calls++;
        // The typed error's own account travels with the outcome (not only its message).
        throw new PermanentTaskError("corrupt file a.jpg", {
          status: "INVALID_ARGUMENT",
          message: "corrupt file a.jpg",
          reason: "BAD_FILES",
          path: "/data/a.jpg",
          detail: "truncated",
        });
      };
      const [o] = await runTasks(bus, "features", corrupt, ["s0"], { maxAttempts: 5 });
      expect(o).toMatchObject({ ok: false, permanent: true, error: "corrupt file a.jpg" });
      expect(o!.errorInfo).toEqual({
        status: "INVALID_ARGUMENT",
        message: "corrupt file a.jpg",
        reason: "BAD_FILES",
        path: "/data/a.jpg",
        detail: "truncated",
      });
      expect(calls).toBe(1);
      await bus.close();
    });

    it("runs at most `concurrency` handlers at once, in parallel", async () => {
      const bus = await make();
      let running = 0;
      let peak = 0;
      const slow: TaskHandler = async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 150));
        running--;
      };
      const keys = Array.from({ length: 6 }, (_, i) => `k${i}`);
      const outcomes = await runTasks(bus, "sampling", slow, keys, { concurrency: 2 });
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(peak).toBe(2);
      await bus.close();
    });

    it("hands handlers the attempt number and an AbortSignal", async () => {
      const bus = await make();
      const seen: Array<[number, boolean, number | undefined]> = [];
      const record: TaskHandler = async (t, ctx) => {
        seen.push([ctx.attempt, ctx.signal instanceof AbortSignal && !ctx.signal.aborted, t.attempt]);
        return null;
      };
      const [o] = await runTasks(bus, "features", record, ["a0"], {}, () => ({ x: [1, 2] }));
      expect(seen).toEqual([[1, true, 1]]);
      expect(o?.task).toMatchObject({ jobId: "j", stage: "features", taskKey: "a0", payload: { x: [1, 2] } });
      await bus.close();
    });

    it("close() of a subscription finishes in-flight work and takes no new tasks", async () => {
      const bus = await make();
      let started!: () => void;
      const startedP = new Promise<void>((r) => {
        started = r;
      });
      let finished = 0;
      let calls = 0;
      const sub = bus.consume("assemble", async (t) => {
        calls++;
        started();
        await new Promise((r) => setTimeout(r, 200));
        finished++;
        return t.taskKey;
      });
      const first = waitFor(bus, 1);
      await bus.publishTask({ jobId: "j", stage: "assemble", taskKey: "x0", payload: null });
      await startedP;
      await sub.close();
      expect(finished).toBe(1);
      const [o] = await first;
      expect(o).toMatchObject({ ok: true, result: "x0" });
      await bus.publishTask({ jobId: "j", stage: "assemble", taskKey: "x1", payload: null });
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toBe(1);
      await bus.close();
    });

    it("cancelJob drops the job's queued tasks and no other job's", async () => {
      const bus = await make();
      for (let i = 0; i < 3; i++)
        await bus.publishTask({ jobId: "jc", stage: "scoring", taskKey: `b${i}`, payload: null });
      await bus.publishTask({ jobId: "keep", stage: "scoring", taskKey: "b0", payload: null });
      expect(await bus.cancelJob("jc")).toBe(3);
      const seen: string[] = [];
      const done = waitFor(bus, 1);
      const sub = bus.consume("scoring", async (t) => {
        seen.push(`${t.jobId}/${t.taskKey}`);
        return null;
      });
      await done;
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual(["keep/b0"]);
      await sub.close();
      await bus.close();
    });

    it("routes job events to that job's subscribers only", async () => {
      const bus = await make();
      const got: string[] = [];
      const off = bus.subscribeEvents("j1", (e) => got.push(e.message ?? ""));
      await bus.publishEvent({ jobId: "j1", kind: "log", message: "one", at: 1 });
      await bus.publishEvent({ jobId: "j2", kind: "log", message: "other", at: 2 });
      await new Promise((r) => setTimeout(r, 50));
      off();
      expect(got).toEqual(["one"]);
      await bus.close();
    });
  });
}
