// Hostile data volumes: symlinks out of a dataset folder, files swapped for links after the
// scan, non-image content. Nothing outside the dataset folder is read, selected or quoted.
import { mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BadImageError, DatasetError, openDataset } from "@adq/ml";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { expectStatus, startTestServer, type TestServer, watchToEnd } from "../services/helpers.ts";

/** A file outside every data root whose content must never reach a caller. */
const SECRET = "root:*:20228:0:99999:7:::SECRET-SHADOW-LINE\n";

function secretFile(): string {
  const dir = tmp("adq-secret-");
  const f = join(dir, "shadow");
  writeFileSync(f, SECRET);
  return f;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

async function readAll(path: string): Promise<number> {
  const r = await openDataset(path);
  let n = 0;
  for await (const b of r.batches(8)) n += b.images.length;
  return n;
}

describe("dataset readers stay inside the dataset folder", () => {
  it("refuses an image symlinked to a file outside, naming the link, quoting nothing", async () => {
    const data = demoSlice(2, 3);
    const cls = readdirSync(data).sort()[0]!;
    symlinkSync(secretFile(), join(data, cls, "zz-evil.jpg"));
    const e = await failure(openDataset(data));
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).code).toBe("OUTSIDE_ROOT");
    expect(e.message).toContain("zz-evil.jpg");
    expect(e.message).not.toContain("root:");
    expect(e.message).not.toContain("SECRET");
  });

  it("refuses a class folder symlinked outside (its images are never listed)", async () => {
    const data = demoSlice(2, 3);
    const outside = demoSlice(1, 2);
    symlinkSync(join(outside, readdirSync(outside)[0]!), join(data, "zz-linked-class"));
    const e = await failure(openDataset(data));
    expect((e as DatasetError).code).toBe("OUTSIDE_ROOT");
    expect(e.message).toContain("zz-linked-class");
  });

  it("still follows links that stay inside the dataset folder", async () => {
    const data = demoSlice(2, 3);
    const [a, b] = readdirSync(data).sort();
    const img = readdirSync(join(data, a!)).sort()[0]!;
    symlinkSync(join(data, a!, img), join(data, b!, "zz-alias.jpg"));
    const desc = await (await openDataset(data)).describe();
    expect(desc.size).toBe(7);
    expect(await readAll(data)).toBe(7);
  });

  it("a file swapped for an outside link after the scan is refused at read time", async () => {
    const data = demoSlice(2, 3);
    const cls = readdirSync(data).sort()[1]!;
    const victim = join(data, cls, readdirSync(join(data, cls)).sort()[0]!);
    for (const readMode of ["sync", "async"] as const) {
      const reader = await openDataset(data, { readMode });
      await reader.describe();
      renameSync(victim, `${victim}.moved`);
      symlinkSync(secretFile(), victim);
      try {
        const e = await failure(
          (async () => {
            for await (const _ of reader.batches(4)) {
              // drain
            }
          })(),
        );
        expect((e as DatasetError).code, readMode).toBe("OUTSIDE_ROOT");
        expect(e.message).not.toContain("SECRET");
      } finally {
        // restore for the next mode
        const { rmSync } = await import("node:fs");
        rmSync(victim);
        renameSync(`${victim}.moved`, victim);
      }
    }
  });

  it("a non-image file is described without quoting its bytes", async () => {
    const data = demoSlice(1, 2);
    const cls = readdirSync(data)[0]!;
    writeFileSync(join(data, cls, "notes.jpg"), SECRET);
    const e = await failure(readAll(data));
    expect(e).toBeInstanceOf(BadImageError);
    expect(e.message).toContain("notes.jpg");
    expect(e.message).not.toContain("root");
    expect(e.message).not.toContain("SECRET");
  });

  it("CIFAR-10 batch files linked from outside are refused", async () => {
    const outside = tmp("adq-cifar-out-");
    const batch = join(outside, "data_batch_1.bin");
    writeFileSync(batch, Buffer.alloc(3073));
    const data = tmp("adq-cifar-");
    symlinkSync(batch, join(data, "data_batch_1.bin"));
    const e = await failure(openDataset(data));
    expect((e as DatasetError).code).toBe("OUTSIDE_ROOT");
  });
});

describe("the gateway refuses datasets that link out of their folder", () => {
  let t: TestServer;
  let root: string;
  beforeAll(async () => {
    root = tmp("adq-sec-root-");
    t = await startTestServer([root]);
  });
  afterAll(async () => {
    await t?.close();
  });

  function datasetUnderRoot(name: string): string {
    const src = demoSlice(2, 4);
    const dst = join(root, name);
    mkdirSync(dst);
    for (const c of readdirSync(src)) renameSync(join(src, c), join(dst, c));
    return dst;
  }

  it("an image linked to a secret file: INVALID_ARGUMENT naming the link, no content", async () => {
    const ds = datasetUnderRoot("evil-image");
    const cls = readdirSync(ds).sort()[0]!;
    symlinkSync(secretFile(), join(ds, cls, "zz-shadow.jpg"));
    const { err } = await expectStatus(
      () => t.acme.createJob({ dataset: { uri: `file://${ds}` }, params: { ratio: 0.5 } as never }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(err.details).toContain("zz-shadow.jpg");
    expect(err.details).not.toContain("SECRET");
    expect(err.details).not.toContain("root:");
  });

  it("a class folder linked outside the data root: refused, nothing selected", async () => {
    const ds = datasetUnderRoot("evil-class");
    const outside = demoSlice(1, 3);
    symlinkSync(join(outside, readdirSync(outside)[0]!), join(ds, "zz-outside"));
    await expectStatus(
      () => t.acme.createJob({ dataset: { uri: `file://${ds}` }, params: { ratio: 0.5 } as never }),
      grpc.status.INVALID_ARGUMENT,
    );
  });

  it("a text file named .jpg fails the job without quoting it", async () => {
    const ds = datasetUnderRoot("text-image");
    const cls = readdirSync(ds).sort()[0]!;
    writeFileSync(join(ds, cls, "aaa.jpg"), SECRET);
    const { job } = await t.acme.createJob({
      dataset: { uri: `file://${ds}` },
      params: { ratio: 0.5, bins: 2 } as never,
    });
    const events = await watchToEnd(t.acme, job.id);
    const all = JSON.stringify(events);
    expect(events.at(-1)?.terminal?.state).toBe("JOB_STATE_FAILED");
    expect(all).toContain("aaa.jpg");
    expect(all).not.toContain("SECRET");
    expect(all).not.toContain("root:");
  });
});
