import { describe, expect, it } from "vitest";
import { ConflictError } from "../errors.ts";
import type { JobStore } from "../ports.ts";

interface TestJob {
  id: string;
  state: string;
  n: number;
}

/** Compare-and-set semantics every JobStore adapter must show (memory, JetStream KV). */
export function jobStoreContract(name: string, make: () => Promise<JobStore<TestJob>>): void {
  describe(`JobStore contract: ${name}`, () => {
    it("creates once and reads back", async () => {
      const s = await make();
      const v = await s.create({ id: "a", state: "queued", n: 0 });
      expect(v.revision).toBeGreaterThan(0);
      expect((await s.get("a"))?.value).toEqual({ id: "a", state: "queued", n: 0 });
      await expect(s.create({ id: "a", state: "x", n: 1 })).rejects.toBeInstanceOf(ConflictError);
      expect(await s.get("missing")).toBeUndefined();
    });

    it("updates only at the expected revision", async () => {
      const s = await make();
      const v1 = await s.create({ id: "b", state: "queued", n: 0 });
      const v2 = await s.update({ id: "b", state: "running", n: 1 }, v1.revision);
      expect(v2.revision).toBeGreaterThan(v1.revision);
      await expect(s.update({ id: "b", state: "stale", n: 2 }, v1.revision)).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await s.get("b"))?.value.state).toBe("running");
    });

    it("lets exactly one of two racing writers win", async () => {
      const s = await make();
      const v = await s.create({ id: "c", state: "queued", n: 0 });
      const results = await Promise.allSettled([
        s.update({ id: "c", state: "w1", n: 1 }, v.revision),
        s.update({ id: "c", state: "w2", n: 2 }, v.revision),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    });

    it("rejects an update of a job that does not exist", async () => {
      const s = await make();
      await expect(s.update({ id: "ghost", state: "x", n: 0 }, 1)).rejects.toBeInstanceOf(ConflictError);
      expect(await s.get("ghost")).toBeUndefined();
    });

    it("can create a job again after deleting it", async () => {
      const s = await make();
      await s.create({ id: "e", state: "old", n: 0 });
      await s.delete("e");
      const v = await s.create({ id: "e", state: "new", n: 1 });
      expect((await s.get("e"))?.value).toEqual({ id: "e", state: "new", n: 1 });
      expect((await s.update({ id: "e", state: "newer", n: 2 }, v.revision)).value.state).toBe("newer");
      expect((await s.list()).filter((j) => j.id === "e")).toHaveLength(1);
    });

    it("lists and deletes", async () => {
      const s = await make();
      await s.create({ id: "d1", state: "q", n: 0 });
      await s.create({ id: "d2", state: "q", n: 0 });
      expect((await s.list()).map((j) => j.id).sort()).toEqual(expect.arrayContaining(["d1", "d2"]));
      await s.delete("d1");
      expect(await s.get("d1")).toBeUndefined();
    });
  });
}
