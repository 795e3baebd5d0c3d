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
    for await (const r of orderedMap([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], fn, { concurrency: 3 })) {
      expect(r.ok).toBe(true);
      if (r.ok) out.push(r.value);
    }
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it("a slow head does not stall the others, up to the lookahead", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const started: number[] = [];
    const fn = async (x: number) => {
      started.push(x);
      if (x === 0) await gate;
      return x;
    };
    const gen = orderedMap(
      Array.from({ length: 50 }, (_, i) => i),
      fn,
      { concurrency: 2, lookahead: 6 },
    );
    const first = gen.next();
    await sleep(20);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]); // 1…5 finished while 0 still runs; capped at 6
    release();
    expect((await first).value).toMatchObject({ input: 0, ok: true });
    await gen.return(undefined);
  });

  it("reports failures (sync or async) in place without unhandled rejections", async () => {
    const fn = (x: number): Promise<number> => {
      if (x === 1) throw new Error("sync");
      if (x === 2) return Promise.reject(new Error("async"));
      return Promise.resolve(x);
    };
    const got: string[] = [];
    for await (const r of orderedMap([0, 1, 2, 3], fn, { concurrency: 4 }))
      got.push(r.ok ? `ok ${r.value}` : `err ${r.input} ${(r.error as Error).message}`);
    expect(got).toEqual(["ok 0", "err 1 sync", "err 2 async", "ok 3"]);
  });

  it("starts no more work than the lookahead, and none after the consumer stops", async () => {
    let started = 0;
    const fn = async (x: number) => {
      started++;
      await sleep(1);
      return x;
    };
    for await (const r of orderedMap(
      Array.from({ length: 100 }, (_, i) => i),
      fn,
      { concurrency: 2, lookahead: 4 },
    )) {
      if (r.input === 1) break;
    }
    const atStop = started;
    expect(atStop).toBeLessThanOrEqual(2 + 4);
    await sleep(30);
    expect(started).toBe(atStop);
  });

  it("rejects bad options", async () => {
    await expect(orderedMap([1], async (x) => x, { concurrency: 0 }).next()).rejects.toThrow(RangeError);
    await expect(orderedMap([1], async (x) => x, { concurrency: 4, lookahead: 2 }).next()).rejects.toThrow(
      RangeError,
    );
  });
});
