import { describe, expect, it } from "vitest";
import { ProgressThrottle, throttle } from "./progress-throttle.ts";

describe("throttle (one report, given the stage's last write)", () => {
  it.each([
    // last, done, total, now, interval → decision
    { last: 0, done: 1, total: 10, now: 1000, want: { kind: "write" } },
    { last: 1000, done: 2, total: 10, now: 1100, want: { kind: "defer", delayMs: 150 } },
    { last: 1000, done: 2, total: 10, now: 1249, want: { kind: "defer", delayMs: 1 } },
    { last: 1000, done: 2, total: 10, now: 1250, want: { kind: "write" } },
    { last: 1000, done: 10, total: 10, now: 1001, want: { kind: "write" } }, // the end is never held back
    { last: 1000, done: 12, total: 10, now: 1001, want: { kind: "write" } },
  ])("last=$last done=$done/$total now=$now → $want.kind", ({ last, done, total, now, want }) => {
    expect(throttle(last, done, total, now, 250)).toEqual(want);
  });
});

describe("ProgressThrottle (the runner's coalescing, on an injected clock)", () => {
  type Step =
    | { at: number; start: string }
    | { at: number; offer: [string, number, number]; want: string }
    | { at: number; take: [string, number] | null };
  const cases: Array<{ name: string; steps: Step[] }> = [
    {
      name: "a start is not written again; reports within the interval are held, the latest wins",
      steps: [
        { at: 0, start: "features" },
        { at: 10, offer: ["features", 0, 8], want: "skip" },
        { at: 20, offer: ["features", 1, 8], want: "defer 230" },
        { at: 30, offer: ["features", 2, 8], want: "defer 220" },
        { at: 250, take: ["features", 2] },
        { at: 300, offer: ["features", 3, 8], want: "defer 200" },
        { at: 500, offer: ["features", 4, 8], want: "write" },
        { at: 510, take: null },
      ],
    },
    {
      name: "completion is written at once and drops the held report",
      steps: [
        { at: 0, start: "binning" },
        { at: 100, offer: ["binning", 1, 2], want: "defer 150" },
        { at: 120, offer: ["binning", 2, 2], want: "write" },
        { at: 250, take: null },
      ],
    },
    {
      name: "stages keep their own last write; one held report at a time (a newer one of any stage replaces it)",
      steps: [
        { at: 0, start: "features" },
        { at: 100, start: "scoring" },
        { at: 200, offer: ["features", 1, 4], want: "defer 50" },
        { at: 260, offer: ["scoring", 1, 4], want: "defer 90" },
        { at: 350, take: ["scoring", 1] },
        { at: 360, offer: ["features", 2, 4], want: "write" },
      ],
    },
  ];
  it.each(cases)("$name", ({ steps }) => {
    const t = new ProgressThrottle<string>(250);
    for (const s of steps) {
      if ("start" in s) t.started(s.start, s.at);
      else if ("offer" in s) {
        const [stage, done, total] = s.offer;
        const d = t.offer({ stage, done, total }, s.at);
        expect(d.kind === "defer" ? `defer ${d.delayMs}` : d.kind, `at ${s.at}`).toBe(s.want);
      } else {
        const r = t.takePending(s.at);
        expect(r ? [r.stage, r.done] : null, `at ${s.at}`).toEqual(s.take);
      }
    }
  });

  it("a held report that was taken counts as the stage's last write", () => {
    const t = new ProgressThrottle<string>(100);
    t.started("s", 0);
    expect(t.offer({ stage: "s", done: 1, total: 9 }, 50).kind).toBe("defer");
    t.takePending(100);
    expect(t.offer({ stage: "s", done: 2, total: 9 }, 150)).toEqual({ kind: "defer", delayMs: 50 });
    t.cancelPending();
    expect(t.pending).toBeUndefined();
  });

  it("refuses a negative interval", () => {
    expect(() => new ProgressThrottle(-1)).toThrow(RangeError);
  });
});
