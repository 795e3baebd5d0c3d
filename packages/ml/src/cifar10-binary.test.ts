import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CIFAR_BIN_LAYOUT } from "../../../test/fixtures/datasets/make-fixtures.ts";
import {
  CIFAR_RECORD_BYTES,
  CIFAR10_CLASSES,
  Cifar10BinaryReader,
  decodeCifarRecord,
  encodeCifarRecord,
  parseCifarMeta,
} from "./cifar10-binary.ts";
import { batchesOf } from "./dataset.fixtures.ts";
import { decodeImageFile } from "./decode.ts";
import { DatasetError } from "./errors.ts";
import type { RasterImage } from "./raster.ts";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/datasets/", import.meta.url));
const BIN = join(FIXTURES, "cifar-bin-small");
const SMALL = join(FIXTURES, "folder-small");

/** A 32×32 image whose every byte is a known function of (x, y, channel, seed). */
function pattern(seed: number): RasterImage {
  const data = new Uint8Array(32 * 32 * 3);
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++)
      for (let c = 0; c < 3; c++) data[(y * 32 + x) * 3 + c] = (x * 7 + y * 13 + c * 101 + seed * 31) & 0xff;
  return { width: 32, height: 32, channels: 3, data };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "adq-cifar-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function writeBatch(dir: string, name: string, records: Array<[number, RasterImage]>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, Buffer.concat(records.map(([l, img]) => encodeCifarRecord(l, img))));
  return path;
}

describe("CIFAR-10 record codec", () => {
  it("writes the label byte then the R, G and B planes, and reads them back", () => {
    const img = pattern(3);
    const rec = encodeCifarRecord(7, img);
    expect(rec.length).toBe(CIFAR_RECORD_BYTES);
    expect(rec[0]).toBe(7);
    // Pixel (x=5, y=2): plane offset y·32 + x = 69.
    const p = 2 * 32 + 5;
    expect([rec[1 + p], rec[1 + 1024 + p], rec[1 + 2048 + p]]).toEqual(
      Array.from(img.data.subarray(p * 3, p * 3 + 3)),
    );
    const back = decodeCifarRecord(rec);
    expect(back.label).toBe(7);
    expect(back.image.data).toEqual(img.data);
    expect(() => encodeCifarRecord(256, img)).toThrow(RangeError);
    expect(() => decodeCifarRecord(rec.subarray(1))).toThrow(RangeError);
  });

  it("parses batches.meta.txt, dropping blank lines", () => {
    expect(parseCifarMeta("cat\r\ndog\n\n\n")).toEqual(["cat", "dog"]);
  });
});

describe("Cifar10BinaryReader on the committed fixture", () => {
  it("describes the train split: stable ids file#index, labels, meta class names", async () => {
    const d = await new Cifar10BinaryReader(BIN).describe();
    expect(d.format).toBe("cifar10-binary");
    expect(d.classes).toEqual(CIFAR10_CLASSES);
    const expectedIds = [
      ...CIFAR_BIN_LAYOUT["data_batch_1.bin"]!.map((_, i) => `data_batch_1.bin#${i}`),
      ...CIFAR_BIN_LAYOUT["data_batch_2.bin"]!.map((_, i) => `data_batch_2.bin#${i}`),
    ];
    expect(d.items.map((i) => i.id)).toEqual(expectedIds);
    expect(d.size).toBe(9);
    const sources = [...CIFAR_BIN_LAYOUT["data_batch_1.bin"]!, ...CIFAR_BIN_LAYOUT["data_batch_2.bin"]!];
    expect(d.items.map((i) => d.classes[i.label])).toEqual(sources.map((s) => s.split("/")[0]));
    expect(d.items[6]).toEqual({
      id: "data_batch_2.bin#1",
      label: 8,
      source: join(BIN, "data_batch_2.bin"),
      record: 1,
    });
  });

  it("streams records whose pixels equal the images that were written", async () => {
    const reader = new Cifar10BinaryReader(BIN);
    const batches = await batchesOf(reader, 4);
    expect(batches.map((b) => b.images.length)).toEqual([4, 4, 1]);
    expect(batches.flatMap((b) => b.indices)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const sources = [...CIFAR_BIN_LAYOUT["data_batch_1.bin"]!, ...CIFAR_BIN_LAYOUT["data_batch_2.bin"]!];
    const images = batches.flatMap((b) => b.images);
    for (const [k, src] of sources.entries()) {
      const expected = await decodeImageFile(join(SMALL, src));
      expect(images[k]!.data).toEqual(expected.data);
      expect([images[k]!.width, images[k]!.height, images[k]!.channels]).toEqual([32, 32, 3]);
    }
  });

  it("reads the test split on request", async () => {
    const reader = new Cifar10BinaryReader(BIN, { split: "test" });
    const d = await reader.describe();
    expect(d.items.map((i) => i.id)).toEqual(["test_batch.bin#0", "test_batch.bin#1", "test_batch.bin#2"]);
    expect(d.items.map((i) => d.classes[i.label])).toEqual(["ship", "cat", "airplane"]);
    const [b] = await batchesOf(reader, 10);
    expect(b!.images[2]!.data).toEqual((await decodeImageFile(join(SMALL, "airplane/0000.jpg"))).data);
  });

  it("resizes when asked", async () => {
    const [b] = await batchesOf(new Cifar10BinaryReader(BIN, { size: 16 }), 2);
    expect(b!.images.map((i) => [i.width, i.height])).toEqual([
      [16, 16],
      [16, 16],
    ]);
  });
});

describe("Cifar10BinaryReader reads by offset, batch by batch", () => {
  let dir: string;
  const images = Array.from({ length: 10 }, (_, i) => pattern(i));
  beforeAll(async () => {
    dir = join(tmp, "synthetic");
    await writeBatch(
      dir,
      "data_batch_1.bin",
      images.slice(0, 6).map((img, i) => [i % 3, img]),
    );
    await writeBatch(
      dir,
      "data_batch_2.bin",
      images.slice(6).map((img, i) => [(i + 6) % 3, img]),
    );
    await writeFile(join(dir, "batches.meta.txt"), "red\ngreen\nblue\n");
  });

  it("returns exactly the bytes written, for any subset and order", async () => {
    const reader = new Cifar10BinaryReader(dir);
    const d = await reader.describe();
    expect(d.classes).toEqual(["red", "green", "blue"]);
    expect(d.items.map((i) => i.label)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    const all = (await batchesOf(reader, 3)).flatMap((b) => b.images);
    expect(all.map((i) => i.data)).toEqual(images.map((i) => i.data));
    const subset = [9, 2, 3, 4, 7];
    const got = await batchesOf(reader, 2, subset);
    expect(got.map((b) => b.indices)).toEqual([[9, 2], [3, 4], [7]]);
    expect(got.flatMap((b) => b.images.map((i) => i.data))).toEqual(subset.map((i) => images[i]!.data));
  });

  it("coalesces consecutive records into one read and reads nothing ahead", async () => {
    const reads: Array<{ path: string; bytes: number }> = [];
    const reader = new Cifar10BinaryReader(dir, { onRead: (e) => reads.push(e) });
    await reader.describe();
    expect(reads).toEqual([]); // the label scan is not pixel data
    const it = reader.batches(4);
    await it.next();
    expect(reads).toEqual([{ path: join(dir, "data_batch_1.bin"), bytes: 4 * CIFAR_RECORD_BYTES }]);
    await it.next(); // records 4, 5 (file 1) and 6, 7 (file 2): one read per file
    expect(reads.slice(1)).toEqual([
      { path: join(dir, "data_batch_1.bin"), bytes: 2 * CIFAR_RECORD_BYTES },
      { path: join(dir, "data_batch_2.bin"), bytes: 2 * CIFAR_RECORD_BYTES },
    ]);
    await it.return(undefined);
    const total = reads.reduce((s, r) => s + r.bytes, 0);
    expect(total).toBe(8 * CIFAR_RECORD_BYTES); // never the whole set
  });

  it("uses the default CIFAR-10 class names when the meta file is missing", async () => {
    const noMeta = join(tmp, "nometa");
    await mkdir(noMeta, { recursive: true });
    await copyFile(join(dir, "data_batch_1.bin"), join(noMeta, "data_batch_1.bin"));
    expect((await new Cifar10BinaryReader(noMeta).describe()).classes).toEqual(CIFAR10_CLASSES);
  });
});

describe("Cifar10BinaryReader errors", () => {
  async function errorOf(p: Promise<unknown>): Promise<DatasetError> {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }

  it("a file that is not a whole number of records", async () => {
    const d = join(tmp, "short");
    const path = await writeBatch(d, "data_batch_1.bin", [[0, pattern(0)]]);
    await writeFile(path, new Uint8Array(CIFAR_RECORD_BYTES + 10));
    const e = await errorOf(new Cifar10BinaryReader(d).describe());
    expect(e.code).toBe("CORRUPT_DATASET");
    expect(e.path).toBe(path);
    expect(e.message).toMatch(/3083 bytes, not a whole number of 3073-byte/);
  });

  it("a label beyond the class list", async () => {
    const d = join(tmp, "badlabel");
    const path = await writeBatch(d, "data_batch_1.bin", [
      [1, pattern(0)],
      [12, pattern(1)],
    ]);
    const e = await errorOf(new Cifar10BinaryReader(d).describe());
    expect(e.code).toBe("CORRUPT_DATASET");
    expect(e.message).toBe(`${path} record 1 has label 12, but there are only 10 classes`);
  });

  it("a split that is not there", async () => {
    const d = join(tmp, "trainonly");
    await writeBatch(d, "data_batch_1.bin", [[1, pattern(0)]]);
    const e = await errorOf(new Cifar10BinaryReader(d, { split: "test" }).describe());
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toMatch(/no CIFAR-10 test split \(expected test_batch.bin\)/);
  });
});
