import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { artifactStoreContract } from "./contract/artifact-store.contract.ts";
import { busContract } from "./contract/bus.contract.ts";
import { jobStoreContract } from "./contract/job-store.contract.ts";
import { FsArtifactStore } from "./fs-artifact-store.ts";
import { LocalBus } from "./local-bus.ts";
import { MemoryJobStore } from "./memory-job-store.ts";
import { PrefixedArtifactStore } from "./prefixed-store.ts";
import { StagedArtifactStore, sealArtifacts } from "./staged-store.ts";

const dirs: string[] = [];
async function fsStore(): Promise<FsArtifactStore> {
  const dir = await mkdtemp(join(tmpdir(), "adq-art-"));
  dirs.push(dir);
  return new FsArtifactStore(dir);
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

artifactStoreContract("FsArtifactStore", fsStore);
artifactStoreContract("PrefixedArtifactStore over FsArtifactStore", async () => {
  return new PrefixedArtifactStore(await fsStore(), "tenants/acme");
});
const route = (key: string) => /^(a|b|c)\//.exec(key)?.[1];
async function staged(own: string, writable: string[], parts?: Map<string, FsArtifactStore>) {
  const p =
    parts ??
    new Map([
      ["a", await fsStore()],
      ["b", await fsStore()],
      ["c", await fsStore()],
    ]);
  return { parts: p, store: new StagedArtifactStore(p, { own, writable, route }) };
}
artifactStoreContract("StagedArtifactStore over FsArtifactStores, every part writable", async () => {
  return (await staged("a", ["a", "b", "c"])).store;
});
artifactStoreContract("StagedArtifactStore over FsArtifactStores, one part writable", async () => {
  return (await staged("b", ["b"])).store;
});
jobStoreContract("MemoryJobStore", async () => new MemoryJobStore());
busContract("LocalBus", async () => new LocalBus());

describe("PrefixedArtifactStore confinement", () => {
  it("sees only its prefix, and the inner store sees the full keys", async () => {
    const inner = await fsStore();
    await inner.put("tenants/other/jobs/j/x", new Uint8Array([9]));
    const acme = new PrefixedArtifactStore(inner, "tenants/acme/");
    const info = await acme.put("jobs/j/a", new Uint8Array([1]));
    expect(info.key).toBe("jobs/j/a");
    expect((await inner.stat("tenants/acme/jobs/j/a"))?.digest).toBe(info.digest);
    expect((await acme.list("")).map((i) => i.key)).toEqual(["jobs/j/a"]);
    expect(await acme.stat("../other/jobs/j/x").catch((e: Error) => e.name)).toBe("RangeError");
    expect(await acme.deletePrefix("jobs/")).toBe(1);
    expect(await inner.stat("tenants/other/jobs/j/x")).toBeDefined();
  });
});

describe("StagedArtifactStore routing", () => {
  it("writes a key to its part when writable, else to its own; reads across the parts it holds", async () => {
    const { parts, store: control } = await staged("a", ["a", "b", "c"]);
    await control.put("b/x", new Uint8Array([1]));
    expect(await parts.get("b")!.stat("b/x")).toBeDefined();
    expect(await parts.get("a")!.stat("b/x")).toBeUndefined();
    // A process writing only "c" puts a "b" key into c, reads b's and c's.
    const { store: worker } = await staged(
      "c",
      ["c"],
      new Map([
        ["b", parts.get("b")!],
        ["c", parts.get("c")!],
      ]),
    );
    await worker.put("b/y", new Uint8Array([2]));
    expect(await parts.get("c")!.stat("b/y")).toBeDefined();
    expect(Array.from(await worker.get("b/x"))).toEqual([1]);
    expect((await worker.list("b/")).map((i) => i.key)).toEqual(["b/x", "b/y"]);
    // It deletes only in its own part.
    expect(await worker.deletePrefix("b/")).toBe(1);
    expect(await parts.get("b")!.stat("b/x")).toBeDefined();
  });

  it("seal moves a prefix from the other writable parts into its own part, unchanged", async () => {
    const { parts, store } = await staged("a", ["a", "b", "c"]);
    const data = new Uint8Array(3000).map((_, i) => i % 251);
    const before = await parts.get("c")!.put("r/j/manifest.json", data, "application/json");
    await parts.get("c")!.put("r/k/other", new Uint8Array([7]));
    expect(await sealArtifacts(store, "r/j/")).toBe(1);
    expect(await parts.get("c")!.stat("r/j/manifest.json")).toBeUndefined();
    expect(await parts.get("a")!.stat("r/j/manifest.json")).toEqual(before);
    expect(await parts.get("c")!.stat("r/k/other")).toBeDefined();
    expect(await sealArtifacts(parts.get("a")!, "r/")).toBe(0);
  });
});
