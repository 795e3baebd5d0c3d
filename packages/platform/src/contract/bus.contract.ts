import { describe, expect, it } from "vitest";
import type { Bus, TaskOutcome } from "../ports.ts";
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

/** Work-queue semantics every Bus adapter must show (in-process, NATS JetStream). */
export function busContract(name: string, make: () => Promise<Bus>): void {
  describe(`Bus contract: ${name}`, () => {
    it("delivers every task once to a consumer and reports outcomes", async () => {
      const bus = await make();
      const seen: string[] = [];
      const sub = bus.consume("binning", async (t) => {
        seen.push(t.taskKey);
        return { key: t.taskKey };
      });
      const done = waitFor(bus, 5);
      for (let i = 0; i < 5; i++)
        await bus.publishTask({ jobId: "j", stage: "binning", taskKey: `c${i}`, payload: { i } });
      const outcomes = await done;
      expect(seen.sort()).toEqual(["c0", "c1", "c2", "c3", "c4"]);
      expect(outcomes.every((o) => o.ok)).toBe(true);
      await sub.close();
      await bus.close();
    });

    it("redelivers a failing task up to maxAttempts, then reports failure", async () => {
      const bus = await make();
      let calls = 0;
      const sub = bus.consume(
        "scoring",
        async (_t, ctx) => {
          calls++;
          if (ctx.attempt < 3) throw new Error(`flaky ${ctx.attempt}`);
          return "ok";
        },
        { maxAttempts: 3 },
      );
      const done = waitFor(bus, 1);
      await bus.publishTask({ jobId: "j", stage: "scoring", taskKey: "b0", payload: null });
      const [o] = await done;
      expect(o?.ok).toBe(true);
      expect(calls).toBe(3);
      await sub.close();
      await bus.close();
    });

    it("does not retry a permanent failure", async () => {
      const bus = await make();
      let calls = 0;
      const sub = bus.consume(
        "features",
        async () => {
          calls++;
          // The typed error's own account travels with the outcome (not only its message).
          throw new PermanentTaskError("corrupt file a.jpg", {
            status: "INVALID_ARGUMENT",
            message: "corrupt file a.jpg",
            reason: "BAD_FILES",
            path: "/data/a.jpg",
            detail: "truncated",
          });
        },
        { maxAttempts: 5 },
      );
      const done = waitFor(bus, 1);
      await bus.publishTask({ jobId: "j", stage: "features", taskKey: "s0", payload: null });
      const [o] = await done;
      expect(o).toMatchObject({ ok: false, permanent: true, error: "corrupt file a.jpg" });
      expect(o!.errorInfo).toEqual({
        status: "INVALID_ARGUMENT",
        message: "corrupt file a.jpg",
        reason: "BAD_FILES",
        path: "/data/a.jpg",
        detail: "truncated",
      });
      expect(calls).toBe(1);
      await sub.close();
      await bus.close();
    });

    it("runs at most `concurrency` handlers at once, in parallel", async () => {
      const bus = await make();
      let running = 0;
      let peak = 0;
      const sub = bus.consume(
        "sampling",
        async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 150));
          running--;
        },
        { concurrency: 2 },
      );
      const done = waitFor(bus, 6);
      for (let i = 0; i < 6; i++)
        await bus.publishTask({ jobId: "j", stage: "sampling", taskKey: `k${i}`, payload: null });
      const outcomes = await done;
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(peak).toBe(2);
      await sub.close();
      await bus.close();
    });

    it("hands handlers the attempt number and an AbortSignal", async () => {
      const bus = await make();
      const seen: Array<[number, boolean, number | undefined]> = [];
      const sub = bus.consume("features", async (t, ctx) => {
        seen.push([ctx.attempt, ctx.signal instanceof AbortSignal && !ctx.signal.aborted, t.attempt]);
        return null;
      });
      const done = waitFor(bus, 1);
      await bus.publishTask({ jobId: "j", stage: "features", taskKey: "a0", payload: { x: [1, 2] } });
      const [o] = await done;
      expect(seen).toEqual([[1, true, 1]]);
      expect(o?.task).toMatchObject({ jobId: "j", stage: "features", taskKey: "a0", payload: { x: [1, 2] } });
      await sub.close();
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
