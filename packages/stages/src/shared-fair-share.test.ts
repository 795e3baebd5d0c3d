import { type JobStore, MemoryJobStore } from "@adq/platform";
import { describe, expect, it } from "vitest";
import { GPU_STAGES } from "./fair-share.ts";
import { type LeaseRecord, SharedFairShare } from "./shared-fair-share.ts";

/** A store a "crashed" coordinator can no longer write to (nor read: its process is gone). */
function crashable(inner: JobStore<LeaseRecord>): { store: JobStore<LeaseRecord>; crash: () => void } {
  let dead = false;
  const alive = <T>(f: () => Promise<T>): Promise<T> =>
    dead ? Promise.reject(new Error("process is gone")) : f();
  return {
    crash: () => {
      dead = true;
    },
    store: {
      create: (j) => alive(() => inner.create(j)),
      get: (id) => alive(() => inner.get(id)),
      update: (j, r) => alive(() => inner.update(j, r)),
      list: () => alive(() => inner.list()),
      delete: (id) => alive(() => inner.delete(id)),
    },
  };
}

const share = (store: JobStore<LeaseRecord>, owner: string, ttlMs = 60_000) =>
  new SharedFairShare({
    store,
    owner,
    tasksPerStage: 2,
    gpuTasksPerStage: 1,
    gpuStages: GPU_STAGES,
    ttlMs,
    pollMs: 10,
  });

const settled = async <T>(p: Promise<T>, ms = 50): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe("SharedFairShare (one window per tenant and stage across coordinators)", () => {
  it("two coordinators on one store share a tenant's window; a release on one lets the other in", async () => {
    const store = new MemoryJobStore<LeaseRecord>();
    const c1 = share(store, "c1");
    const c2 = share(store, "c2");
    const r1 = await c1.gate("a")("binning");
    const r2 = await c2.gate("a")("binning");
    expect(await c1.outstanding("a", "binning")).toBe(2);
    // Both coordinators are now at the cluster-wide cap: with per-process windows each would have had 2.
    const w1 = c1.gate("a")("binning");
    const w2 = c2.gate("a")("binning");
    expect(await settled(w1)).toBe(false);
    expect(await settled(w2)).toBe(false);
    // Another tenant, another stage, and the GPU quota are separate windows.
    const rb = await c2.gate("b")("binning");
    const rf = await c1.gate("a")("features");
    expect(await settled(c2.gate("a")("features"))).toBe(false); // GPU quota 1, held on c1
    r1(); // released on c1: exactly one waiter gets the slot
    r1(); // idempotent
    const first = await Promise.race([w1.then(() => "w1"), w2.then(() => "w2")]);
    expect(["w1", "w2"]).toContain(first);
    expect(await c1.outstanding("a", "binning")).toBe(2);
    const other = first === "w1" ? w2 : w1;
    expect(await settled(other)).toBe(false);
    r2();
    await other;
    expect(await c1.outstanding("a", "binning")).toBe(2);
    rb();
    rf();
    await c1.close();
    await c2.close();
    expect(await c1.outstanding("a", "binning")).toBe(0); // close gave back what each held
  });

  it("a crashed coordinator's leases lapse after ttlMs and the window passes to the other", async () => {
    const mem = new MemoryJobStore<LeaseRecord>();
    const dying = crashable(mem);
    const c1 = share(dying.store, "c1", 300);
    const c2 = share(mem, "c2", 300);
    await c1.gate("a")("binning");
    await c1.gate("a")("binning");
    dying.crash(); // no release, no renewal from c1 any more
    const t0 = Date.now();
    const waiting = c2.gate("a")("binning");
    expect(await settled(waiting, 100)).toBe(false);
    const release = await waiting;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150); // not before c1's leases expired
    // The lapsed leases were pruned: the second slot is free too.
    await c2.gate("a")("binning");
    expect(await c2.outstanding("a", "binning")).toBe(2);
    release();
    await c2.close();
    await c1.close(); // its store is gone: close still returns
  });

  it("a live coordinator renews its leases: they outlast ttlMs", async () => {
    const store = new MemoryJobStore<LeaseRecord>();
    const c1 = share(store, "c1", 90);
    const c2 = share(store, "c2", 90);
    const r = [await c1.gate("a")("binning"), await c1.gate("a")("binning")];
    expect(await settled(c2.gate("a")("binning"), 400)).toBe(false); // > 4 ttl: renewed meanwhile
    for (const x of r) x();
    await c1.close();
    await c2.close();
  });

  it("a waiter that aborts leaves the queue; conflicting writers all end within the cap", async () => {
    const store = new MemoryJobStore<LeaseRecord>();
    const cs = [share(store, "c1"), share(store, "c2"), share(store, "c3")];
    // 12 concurrent acquires from three coordinators against a window of 2.
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const release = await cs[i % 3]!.gate("a")("scoring");
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
        release();
      }),
    );
    expect(most).toBe(2);
    const held = await cs[0]!.gate("a")("features");
    const ac = new AbortController();
    const w = cs[1]!.gate("a")("features", ac.signal);
    ac.abort(new Error("cancelled"));
    await expect(w).rejects.toThrow("cancelled");
    held();
    await cs[2]!.gate("a")("features"); // the aborted waiter did not keep the slot
    const left = cs[0]!.gate("a")("features");
    await cs[0]!.close();
    await expect(left).rejects.toThrow("fair share closed"); // close leaves no waiter hanging
    for (const c of cs) await c.close();
    expect(() => share(store, "x", 10)).toThrow(RangeError);
  });
});
