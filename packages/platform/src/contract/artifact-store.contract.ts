import { describe, expect, it } from "vitest";
import { NotFoundError } from "../errors.ts";
import type { ArtifactStore } from "../ports.ts";

/** The behaviour every ArtifactStore adapter must show (embedded, NATS Object Store, S3). */
export function artifactStoreContract(name: string, make: () => Promise<ArtifactStore>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    it("stores, stats, reads and streams content", async () => {
      const s = await make();
      const data = new TextEncoder().encode("hello artifacts");
      const info = await s.put("jobs/j1/features/shard-0.npy", data, "application/x-npy");
      expect(info.size).toBe(data.length);
      expect(info.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(await s.stat("jobs/j1/features/shard-0.npy")).toEqual(info);
      expect(Buffer.from(await s.get("jobs/j1/features/shard-0.npy")).toString()).toBe("hello artifacts");
      const chunks: Uint8Array[] = [];
      for await (const c of s.stream("jobs/j1/features/shard-0.npy", 4)) chunks.push(c);
      expect(Buffer.concat(chunks).toString()).toBe("hello artifacts");
    });

    it("is idempotent for identical content and replaces different content", async () => {
      const s = await make();
      const a = await s.put("k/a", new Uint8Array([1, 2, 3]));
      expect(await s.put("k/a", new Uint8Array([1, 2, 3]))).toEqual(a);
      const b = await s.put("k/a", new Uint8Array([4]));
      expect(b.digest).not.toBe(a.digest);
      expect(Array.from(await s.get("k/a"))).toEqual([4]);
    });

    it("reports missing keys as NotFoundError / undefined", async () => {
      const s = await make();
      await expect(s.get("nope/x")).rejects.toBeInstanceOf(NotFoundError);
      expect(await s.stat("nope/x")).toBeUndefined();
    });

    it("lists by prefix in key order and deletes a prefix", async () => {
      const s = await make();
      await s.put("jobs/j2/b", new Uint8Array([2]));
      await s.put("jobs/j2/a", new Uint8Array([1]));
      await s.put("jobs/j3/a", new Uint8Array([3]));
      expect((await s.list("jobs/j2/")).map((i) => i.key)).toEqual(["jobs/j2/a", "jobs/j2/b"]);
      expect(await s.deletePrefix("jobs/j2/")).toBe(2);
      expect(await s.list("jobs/j2/")).toEqual([]);
      expect((await s.list("jobs/")).map((i) => i.key)).toEqual(["jobs/j3/a"]);
    });

    it("rejects keys that could escape the store", async () => {
      const s = await make();
      for (const bad of ["../x", "a/../../b", "/abs", "a//b", "", "a b"]) {
        await expect(s.put(bad, new Uint8Array([1]))).rejects.toThrow(/artifact key/);
      }
    });
  });
}
