import { describe, expect, it } from "vitest";
import { orderedMap } from "./pool.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("orderedMap", () => {
  it("yields in input order whatever the completion order, never exceeding the concurrency", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const fn = async (x: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep((7 * x) % 5); // later inputs often finish first
      inFlight--;
      return x * 10;
    };
    const out: number[] = [];
    for await (const r of orderedMap([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, fn)) {
      expect(r.ok).toBe(true);
      if (r.ok) out.push(r.value);
    }
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it("reports failures (sync or async) in place without unhandled rejections", async () => {
    const fn = (x: number): Promise<number> => {
      if (x === 1) throw new Error("sync");
      if (x === 2) return Promise.reject(new Error("async"));
      return Promise.resolve(x);
    };
    const got: string[] = [];
    for await (const r of orderedMap([0, 1, 2, 3], 4, fn))
      got.push(r.ok ? `ok ${r.value}` : `err ${r.input} ${(r.error as Error).message}`);
    expect(got).toEqual(["ok 0", "err 1 sync", "err 2 async", "ok 3"]);
  });

  it("starts no more work than the window when the consumer stops early", async () => {
    let started = 0;
    const fn = async (x: number) => {
      started++;
      return x;
    };
    for await (const r of orderedMap(
      Array.from({ length: 100 }, (_, i) => i),
      4,
      fn,
    )) {
      if (r.input === 1) break;
    }
    expect(started).toBeLessThanOrEqual(6);
  });

  it("rejects a bad concurrency", async () => {
    await expect(orderedMap([1], 0, async (x) => x).next()).rejects.toThrow(RangeError);
  });
});
