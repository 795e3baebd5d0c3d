import { createHash } from "node:crypto";
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CompressionClient } from "./client.ts";
import type { JobResult__Output as JobResult } from "./generated/index.ts";

/**
 * Downloads every file of a finished job into `dir` (which the caller stages and publishes),
 * checking each file's size and SHA-256 against the server's. File names come from the server:
 * any that would leave `dir` is refused. Memory O(one chunk).
 */
export async function downloadResultFiles(
  client: CompressionClient,
  jobId: string,
  dir: string,
  result?: JobResult,
): Promise<JobResult> {
  const res = result ?? (await client.getResult(jobId));
  for (const f of res.files) {
    const target = join(dir, ...f.name.split("/"));
    if (!target.startsWith(`${dir}/`) || f.name.split("/").some((p) => p === ".." || p === "."))
      throw new Error(`server sent an unsafe file name ${f.name}`);
    await mkdir(dirname(target), { recursive: true });
    const fh = await open(target, "w");
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of client.downloadResult({ jobId, name: f.name })) {
        if (Number(chunk.offset) !== size)
          throw new Error(`${f.name}: chunk at ${chunk.offset}, expected ${size}`);
        await fh.write(chunk.data);
        hash.update(chunk.data);
        size += chunk.data.length;
      }
    } finally {
      await fh.close();
    }
    if (size !== Number(f.artifact?.sizeBytes) || hash.digest("hex") !== f.artifact?.sha256)
      throw new Error(`${f.name}: downloaded bytes do not match the server's size/SHA-256`);
  }
  return res;
}
