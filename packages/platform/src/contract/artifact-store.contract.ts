import { createHash } from "node:crypto";
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

    it("reports the hex sha256 of the content and round-trips the media type", async () => {
      const s = await make();
      const data = new Uint8Array(1000).map((_, i) => (i * 7) % 256);
      const info = await s.put("jobs/j4/bins.json", data, "application/json");
      expect(info.digest).toBe(createHash("sha256").update(data).digest("hex"));
      expect(await s.stat("jobs/j4/bins.json")).toEqual({
        key: "jobs/j4/bins.json",
        size: 1000,
        digest: info.digest,
        mediaType: "application/json",
      });
      expect((await s.list("jobs/j4/"))[0]).toEqual(info);
    });

    it("streams large content in chunks of at most chunkSize", async () => {
      const s = await make();
      const data = new Uint8Array(300_000).map((_, i) => (i * 31 + 7) % 251);
      await s.put("jobs/j5/store.bin", data);
      const chunks: Uint8Array[] = [];
      for await (const c of s.stream("jobs/j5/store.bin", 64 * 1024)) chunks.push(c);
      expect(chunks.length).toBeGreaterThanOrEqual(5);
      expect(chunks.every((c) => c.byteLength > 0 && c.byteLength <= 64 * 1024)).toBe(true);
      expect(Buffer.compare(Buffer.concat(chunks), Buffer.from(data))).toBe(0);
      await expect(
        (async () => {
          for await (const _ of s.stream("jobs/j5/missing")) {
            // unreachable
          }
        })(),
      ).rejects.toBeInstanceOf(NotFoundError);
    });

    it("stores an empty artifact", async () => {
      const s = await make();
      const info = await s.put("jobs/j6/empty", new Uint8Array(0));
      expect(info.size).toBe(0);
      expect(info.digest).toBe(createHash("sha256").digest("hex"));
      expect((await s.get("jobs/j6/empty")).byteLength).toBe(0);
      const chunks: Uint8Array[] = [];
      for await (const c of s.stream("jobs/j6/empty")) chunks.push(c);
      expect(Buffer.concat(chunks).byteLength).toBe(0);
    });

    it("rejects keys that could escape the store", async () => {
      const s = await make();
      for (const bad of ["../x", "a/../../b", "/abs", "a//b", "", "a b"]) {
        await expect(s.put(bad, new Uint8Array([1]))).rejects.toThrow(/artifact key/);
      }
    });
  });
}
