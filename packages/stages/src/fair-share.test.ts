import { LocalBus } from "@adq/platform";
import { describe, expect, it } from "vitest";
import { FairShare, GPU_STAGES } from "./fair-share.ts";
import { fanOut } from "./fan-out.ts";

const share = () => new FairShare({ tasksPerStage: 2, gpuTasksPerStage: 1, gpuStages: GPU_STAGES });

describe("FairShare windows", () => {
  it("grants up to the window per tenant and stage, the GPU quota on GPU stages, then FIFO as slots return", async () => {
    const s = share();
    const a = s.gate("a");
    const r1 = await a("binning");
    const r2 = await a("binning");
    const order: number[] = [];
    const w3 = a("binning").then((r) => {
      order.push(3);
      return r;
    });
    const w4 = a("binning").then((r) => {
      order.push(4);
      return r;
    });
    // Another tenant and another stage have their own windows.
    await s.gate("b")("binning");
    await a("scoring");
    expect(s.outstanding("a", "binning")).toBe(2);
    await a("features"); // GPU stage: quota 1
    let gpu2 = false;
    void a("features").then(() => {
      gpu2 = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    expect(gpu2).toBe(false);
    r1();
    r1(); // idempotent: one slot back, not two
    await w3;
    expect(order).toEqual([3]);
    r2();
    (await w4)();
    (await w3)();
    expect(s.outstanding("a", "binning")).toBe(0);
  });

  it("an aborted wait leaves the queue and rejects with the signal's reason", async () => {
    const s = share();
    const g = s.gate("t");
    const held = await g("features");
    const ac = new AbortController();
    const waiting = g("features", ac.signal);
    ac.abort(new Error("job cancelled"));
    await expect(waiting).rejects.toThrow("job cancelled");
    held();
    expect(s.outstanding("t", "features")).toBe(0);
    expect(() => new FairShare({ tasksPerStage: 0, gpuTasksPerStage: 1, gpuStages: [] })).toThrow(RangeError);
  });

  it("fanOut holds a slot per task from publication to outcome, and returns every slot when a task fails", async () => {
    const bus = new LocalBus();
    const s = share();
    let running = 0;
    let peak = 0;
    bus.consume(
      "binning",
      async (t) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (t.taskKey === "bad") throw Object.assign(new Error("bad input"), { name: "PermanentTaskError" });
        return t.taskKey;
      },
      { concurrency: 8 },
    );
    const tasks = Array.from({ length: 10 }, (_, i) => ({ taskKey: `k${i}`, payload: i }));
    const r = await fanOut<number, string>(bus, "j1", "binning", tasks, { gate: s.gate("t"), tenant: "t" });
    expect(r).toEqual(tasks.map((t) => t.taskKey));
    expect(peak).toBe(2); // eight worker slots, but the tenant's window is 2
    await expect(
      fanOut(bus, "j2", "binning", [...tasks, { taskKey: "bad", payload: 0 }].reverse(), {
        gate: s.gate("t"),
      }),
    ).rejects.toThrow(/bad input/);
    expect(s.outstanding("t", "binning")).toBe(0);
    await bus.close();
  });
});
