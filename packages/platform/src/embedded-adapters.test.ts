import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { artifactStoreContract } from "./contract/artifact-store.contract.ts";
import { busContract } from "./contract/bus.contract.ts";
import { jobStoreContract } from "./contract/job-store.contract.ts";
import { FsArtifactStore } from "./fs-artifact-store.ts";
import { LocalBus } from "./local-bus.ts";
import { MemoryJobStore } from "./memory-job-store.ts";

artifactStoreContract(
  "FsArtifactStore",
  async () => new FsArtifactStore(await mkdtemp(join(tmpdir(), "adq-art-"))),
);
jobStoreContract("MemoryJobStore", async () => new MemoryJobStore());
busContract("LocalBus", async () => new LocalBus());
