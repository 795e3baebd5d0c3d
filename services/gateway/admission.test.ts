import { describe, expect, it } from "vitest";
import { JobAdmission } from "./admission.ts";

describe("JobAdmission (fair admission of held jobs between tenants)", () => {
  it("a tenant's long queue does not hold back another tenant's first job", async () => {
    const adm = new JobAdmission(1);
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    const admit = (tenant: string, name: string) =>
      adm.admit(tenant).then((r) => {
        order.push(name);
        releases.set(name, r);
      });
    const all = [...Array.from({ length: 20 }, (_, i) => admit("a", `a${i + 1}`)), admit("b", "b1")];
    await Promise.resolve();
    expect(order).toEqual(["a1"]);
    expect(adm.waiting).toBe(20);
    releases.get("a1")!();
    releases.get("a1")!(); // idempotent
    await Promise.resolve();
    expect(order).toEqual(["a1", "b1"]); // not a2: B was never admitted, A just was
    for (let i = 2; i <= 20; i++) {
      const last = order[order.length - 1]!;
      releases.get(last)!();
      await Promise.resolve();
    }
    releases.get(order[order.length - 1]!)!();
    await Promise.all(all);
    // A's own jobs kept their order.
    expect(order.filter((n) => n.startsWith("a"))).toEqual(Array.from({ length: 20 }, (_, i) => `a${i + 1}`));
    expect(adm.running("a")).toBe(0);
  });

  it("fills free slots with the tenants that run the fewest jobs, round-robin among equals", async () => {
    const adm = new JobAdmission(3);
    const order: string[] = [];
    const rel: Array<() => void> = [];
    const admit = (t: string, n: string) =>
      void adm.admit(t).then((r) => {
        order.push(n);
        rel.push(r);
      });
    for (const n of ["a1", "a2", "a3", "a4"]) admit("a", n);
    await Promise.resolve();
    expect(order).toEqual(["a1", "a2", "a3"]);
    admit("b", "b1");
    admit("b", "b2");
    admit("c", "c1");
    rel[0]!(); // a1 ends: a runs 2, b 0, c 0 → b and c first, b arrived first... both unadmitted: b
    await Promise.resolve();
    expect(order.at(-1)).toBe("b1");
    rel[1]!(); // a2 ends: a 1, b 1, c 0 → c
    await Promise.resolve();
    expect(order.at(-1)).toBe("c1");
    rel[2]!(); // a3 ends: a 0, b 1, c 1 → a4
    await Promise.resolve();
    expect(order.at(-1)).toBe("a4");
    for (const r of rel.slice(3)) r();
    await Promise.resolve();
    expect(order.at(-1)).toBe("b2");
    expect(adm.running("b")).toBe(1);
  });

  it("aborted waiters leave; close rejects the rest; bad slot counts are refused", async () => {
    const adm = new JobAdmission(1);
    const r = await adm.admit("a");
    const ac = new AbortController();
    const gone = adm.admit("b", ac.signal);
    const kept = adm.admit("c");
    ac.abort(new Error("cancelled"));
    await expect(gone).rejects.toThrow("cancelled");
    expect(adm.waiting).toBe(1);
    adm.close(new Error("shutting down"));
    await expect(kept).rejects.toThrow("shutting down");
    await expect(adm.admit("a")).rejects.toThrow("shutting down");
    r();
    expect(() => new JobAdmission(0)).toThrow(RangeError);
  });
});
