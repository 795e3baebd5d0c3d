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
