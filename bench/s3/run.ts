/**
 * Object storage against local disk, measured in one run on one machine with a local SeaweedFS
 * (test/support/s3-server.ts; scripts/setup.sh installs it):
 *
 *  1. The bundled demo (2000 CIFAR-10 JPEGs) compressed by `adq compress` from the folder on disk
 *     and from the same files uploaded to `s3://bench/demo` (default parameters, a fresh stage
 *     cache each run, runs interleaved): wall time of each, the ratio s3 / disk, and whether
 *     both select the same items (they must).
 *  2. Peak RSS of listing and streaming N small generated objects (8×8 PNGs in 2 classes) from
 *     `s3://` for N = 10k and 100k, each in a process of its own (rss-child.ts): memory must
 *     not grow with N beyond the item list.
 *
 *   nice -n 10 npx tsx bench/s3/run.ts [--reps 1] [--method adq-paper] [--skip-demo]
 *                                      [--sizes 10000,100000] [--json out.json]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DATASET, REPO_ROOT } from "@adq/cli";
import { orderedMap } from "@adq/ml/testing";
import type { Manifest } from "@adq/stages";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { tmp } from "../../test/e2e/helpers.ts";
import { startS3Server } from "../../test/support/s3-server.ts";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "1" },
    sizes: { type: "string", default: "10000,100000" },
    method: { type: "string", default: "adq-paper" },
    "skip-demo": { type: "boolean" },
    json: { type: "string" },
  },
});
const reps = Number(values.reps);
const sizes = values.sizes!.split(",").map(Number);

const srv = await startS3Server();
const env = { ...process.env, ...srv.env(srv.admin) };
const admin = new S3Client({
  endpoint: srv.endpoint,
  region: srv.region,
  forcePathStyle: true,
  credentials: { accessKeyId: srv.admin.accessKeyId, secretAccessKey: srv.admin.secretAccessKey },
});
await admin.send(new CreateBucketCommand({ Bucket: "bench" }));

async function putAll(objects: Iterable<{ key: string; body: Uint8Array }>): Promise<void> {
  for await (const r of orderedMap(
    objects,
    (o) => admin.send(new PutObjectCommand({ Bucket: "bench", Key: o.key, Body: o.body })),
    { concurrency: 32 },
  ))
    if (!r.ok) throw r.error;
}

function* treeFiles(root: string): Generator<{ key: string; body: Uint8Array }> {
  const out = execFileSync("find", [root, "-type", "f"], { encoding: "utf8" }).trim().split("\n");
  for (const f of out.sort()) yield { key: `demo/${relative(root, f)}`, body: readFileSync(f) };
}

const result: Record<string, unknown> = { cpus: cpus().length, loadavgBefore: loadavg() };
try {
  // 1. The demo, disk against s3:// (every image is read: ADQ's features stage sees them all).
  if (!values["skip-demo"]) {
    const t0 = Date.now();
    await putAll(treeFiles(DEFAULT_DATASET));
    result.demoUploadMs = Date.now() - t0;
    const compress = (data: string) => {
      const out = join(tmp("adq-bench-out-"), "r");
      const start = Date.now();
      const r = spawnSync(
        process.execPath,
        [
          ...[join(REPO_ROOT, "bin", "adq.mjs"), "compress", data, "--out", out],
          ...["--cache-dir", tmp("adq-bench-cache-"), "--method", values.method!, "--threads", "2"],
        ],
        { env, encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(`adq compress ${data} failed:\n${r.stderr}`);
      const ms = Date.now() - start;
      const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
      return { ms, items: m.items, selected: m.selected };
    };
    const disk: number[] = [];
    const s3: number[] = [];
    let same = true;
    for (let i = 0; i < reps; i++) {
      const a = compress(DEFAULT_DATASET);
      const b = compress("s3://bench/demo");
      disk.push(a.ms);
      s3.push(b.ms);
      same &&= JSON.stringify(a.items) === JSON.stringify(b.items);
      result.selected = a.selected;
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    result.demo = { diskMs: disk, s3Ms: s3, ratioS3OverDisk: median(s3) / median(disk), sameItems: same };
    console.log(
      `demo (2000 images): disk ${disk.join(", ")} ms, s3 ${s3.join(", ")} ms, s3/disk ${(median(s3) / median(disk)).toFixed(3)}, same items: ${same}`,
    );
  }

  // 2. Peak RSS at N small objects.
  const png = await sharp({
    create: { width: 8, height: 8, channels: 3, background: { r: 9, g: 99, b: 199 } },
  })
    .png()
    .toBuffer();
  const rss: unknown[] = [];
  let uploaded = 0;
  for (const n of sizes) {
    const u0 = Date.now();
    // One prefix per size.
    function* objs() {
      for (let i = 0; i < n; i++)
        yield { key: `gen${n}/c${i % 2}/${String(i).padStart(7, "0")}.png`, body: png };
    }
    await putAll(objs());
    uploaded += n;
    const uploadMs = Date.now() - u0;
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "bench/s3/rss-child.ts"), `s3://bench/gen${n}`],
      {
        env,
        encoding: "utf8",
        cwd: REPO_ROOT,
      },
    );
    if (r.status !== 0) throw new Error(`rss child failed:\n${r.stderr}`);
    const line = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number>;
    rss.push({ ...line, uploadMs });
    console.log(
      `${n} objects: peak RSS ${line.maxRssMiB!.toFixed(0)} MiB, listed in ${line.listedMs} ms, streamed in ${line.totalMs} ms (upload ${uploadMs} ms)`,
    );
  }
  result.rss = rss;
  result.objectsUploaded = uploaded;
} finally {
  result.loadavgAfter = loadavg();
  await srv.stop();
}
console.log(JSON.stringify(result));
if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 1)}\n`);
