import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchesOf } from "./dataset.fixtures.ts";
import { BadImageError, decodeImageFile } from "./decode.ts";
import { ImageFolderReader } from "./image-folder.ts";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/datasets/", import.meta.url));
const SMALL = join(FIXTURES, "folder-small");
const BAD = join(FIXTURES, "folder-bad");
const A_JPEG = join(SMALL, "cat/0000.jpg");

const SMALL_IDS = [
  "airplane/0000.jpg",
  "airplane/0001.jpg",
  "airplane/0002.jpg",
  "cat/0000.jpg",
  "cat/0001.jpg",
  "cat/0002.jpg",
  "ship/0000.jpg",
  "ship/0001.jpg",
  "ship/0002.jpg",
];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "adq-imagefolder-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("ImageFolderReader.describe", () => {
  it("lists classes and items with stable ids, labels and absolute sources", async () => {
    const d = await new ImageFolderReader(SMALL).describe();
    expect(d.format).toBe("imagefolder");
    expect(d.root).toBe(SMALL.replace(/\/$/, ""));
    expect(d.classes).toEqual(["airplane", "cat", "ship"]);
    expect(d.size).toBe(9);
    expect(d.items.map((i) => i.id)).toEqual(SMALL_IDS);
    expect(d.items.map((i) => i.label)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(d.items[4]!.source).toBe(join(SMALL, "cat/0001.jpg"));
    // A second reader over the same tree describes it identically.
    expect(await new ImageFolderReader(SMALL).describe()).toEqual(d);
  });

  it("sorts byte-wise (not by locale), filters extensions case-insensitively, ignores dot-files", async () => {
    const root = join(tmp, "order");
    for (const cls of ["apple", "Zebra", "Äpfel"]) await mkdir(join(root, cls), { recursive: true });
    const names = [
      "b.jpg",
      "B.PNG",
      "_x.JPEG",
      "a.webp",
      "é.jpg",
      "Z.Jpg",
      "notes.txt",
      ".DS_Store",
      "._a.jpg",
    ];
    for (const n of names) await copyFile(A_JPEG, join(root, "apple", n));
    await copyFile(A_JPEG, join(root, "Zebra", "1.jpg"));
    await copyFile(A_JPEG, join(root, "Äpfel", "1.jpg"));
    await mkdir(join(root, ".ipynb_checkpoints"));
    const d = await new ImageFolderReader(root).describe();
    // Byte order: uppercase < "_" < lowercase < non-ASCII ("Ä" and "é" are 0xC3 0x84 / 0xC3 0xA9).
    expect(d.classes).toEqual(["Zebra", "apple", "Äpfel"]);
    expect(d.items.filter((i) => i.label === 1).map((i) => i.id)).toEqual([
      "apple/B.PNG",
      "apple/Z.Jpg",
      "apple/_x.JPEG",
      "apple/a.webp",
      "apple/b.jpg",
      "apple/é.jpg",
    ]);
  });

  it("reads no pixel data", async () => {
    let reads = 0;
    await new ImageFolderReader(SMALL, { onRead: () => reads++ }).describe();
    expect(reads).toBe(0);
  });
});

describe("ImageFolderReader.batches", () => {
  it("streams every item exactly once, in order, with the right pixels", async () => {
    const reader = new ImageFolderReader(SMALL, { concurrency: 3 });
    const batches = await batchesOf(reader, 4);
    expect(batches.map((b) => b.images.length)).toEqual([4, 4, 1]);
    expect(batches.flatMap((b) => b.indices)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(batches.flatMap((b) => b.items.map((i) => i.id))).toEqual(SMALL_IDS);
    for (const b of batches)
      for (const [k, item] of b.items.entries()) {
        const img = b.images[k]!;
        expect([img.width, img.height, img.channels]).toEqual([32, 32, 3]);
        expect(img.data).toEqual((await decodeImageFile(item.source)).data);
      }
  });

  it("gives the same batches with sync (default) and async reads, with and without the JPEG fast path", async () => {
    const ref = await batchesOf(new ImageFolderReader(SMALL, { readMode: "async", fastJpeg: false }), 4);
    for (const opts of [{}, { readMode: "async" as const }, { fastJpeg: false }])
      expect(await batchesOf(new ImageFolderReader(SMALL, opts), 4)).toEqual(ref);
    expect(() => new ImageFolderReader(SMALL, { readMode: "mmap" as never })).toThrow(/readMode/);
  });

  it("visits an index subset in the caller's order", async () => {
    const reader = new ImageFolderReader(SMALL);
    const batches = await batchesOf(reader, 2, [8, 0, 4]);
    expect(batches.map((b) => b.indices)).toEqual([[8, 0], [4]]);
    expect(batches.flatMap((b) => b.items.map((i) => i.id))).toEqual([
      "ship/0002.jpg",
      "airplane/0000.jpg",
      "cat/0001.jpg",
    ]);
    expect(await batchesOf(reader, 2, [])).toEqual([]);
    await expect(batchesOf(reader, 2, [9])).rejects.toThrow(/out of range/);
    await expect(batchesOf(reader, 0)).rejects.toThrow(RangeError);
  });

  it("applies the decode options (resize)", async () => {
    const [b] = await batchesOf(new ImageFolderReader(SMALL, { size: 16 }), 9);
    expect(b!.images.every((i) => i.width === 16 && i.height === 16)).toBe(true);
  });

  it("has bounded memory: reads at most batch + lookahead files before the first batch", async () => {
    // 60 files, batch 2, concurrency 2 ⇒ lookahead 8: at most 2 + 8 files read for batch 1.
    const root = join(tmp, "many");
    await mkdir(join(root, "c"), { recursive: true });
    for (let i = 0; i < 60; i++) await copyFile(A_JPEG, join(root, "c", `${String(i).padStart(2, "0")}.jpg`));
    let reads = 0;
    const reader = new ImageFolderReader(root, { concurrency: 2, onRead: () => reads++ });
    const it = reader.batches(2);
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(2 + 8);
    await it.return(undefined);
    await new Promise((r) => setTimeout(r, 50));
    // Stopping the stream starts no new read: only those already in flight complete.
    expect(reads).toBeLessThanOrEqual(2 + 8);
  });

  it("stops on an aborted signal", async () => {
    const ctl = new AbortController();
    const it = new ImageFolderReader(SMALL).batches(2, { signal: ctl.signal });
    await it.next();
    ctl.abort(new Error("cancelled by test"));
    await expect(it.next()).rejects.toThrow("cancelled by test");
  });
});

describe("bad files", () => {
  it("fail the stream with a BadImageError naming the first bad file", async () => {
    const reader = new ImageFolderReader(BAD);
    const err = await batchesOf(reader, 8).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BadImageError);
    expect((err as BadImageError).path).toBe(join(BAD, "cat/0001-truncated.jpg"));
    expect((err as BadImageError).message).toContain(join(BAD, "cat/0001-truncated.jpg"));
    expect((err as BadImageError).reason).toMatch(/truncated/);
  });

  it("with skipBadFiles are left out, listed once, and batches are topped up", async () => {
    const reader = new ImageFolderReader(BAD, { skipBadFiles: true });
    expect((await reader.describe()).size).toBe(5); // listing does not open files
    const batches = await batchesOf(reader, 2);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.items.map((i) => i.id)).toEqual(["cat/0000.jpg", "dog/0000.jpg"]);
    expect(batches[0]!.indices).toEqual([0, 4]);
    const expected = [
      { id: "cat/0001-truncated.jpg", reason: /truncated/ },
      { id: "cat/0002-text.jpg", reason: /not a JPEG, PNG or WebP/ },
      { id: "cat/0003-empty.png", reason: /empty file/ },
    ];
    const check = () => {
      expect(reader.skipped.map((s) => s.id)).toEqual(expected.map((e) => e.id));
      for (const [k, e] of expected.entries()) {
        expect(reader.skipped[k]!.path).toBe(join(BAD, e.id));
        expect(reader.skipped[k]!.reason).toMatch(e.reason);
      }
    };
    check();
    await batchesOf(reader, 2); // a second pass does not list them twice
    check();
  });

  it.each(["sync", "async"] as const)(
    "a file deleted after listing is a bad file, not a crash (%s reads)",
    async (readMode) => {
      const root = join(tmp, `vanishing-${readMode}`);
      await mkdir(join(root, "a"), { recursive: true });
      await copyFile(A_JPEG, join(root, "a", "1.jpg"));
      await writeFile(join(root, "a", "2.jpg"), "x");
      const reader = new ImageFolderReader(root, { skipBadFiles: true, readMode });
      await reader.describe();
      await rm(join(root, "a", "1.jpg"));
      expect(await batchesOf(reader, 4)).toEqual([]);
      expect(reader.skipped.map((s) => s.reason)).toEqual([
        "cannot read file (ENOENT)",
        expect.stringMatching(/not a JPEG/),
      ]);
    },
  );
});
