// WebDataset shards on disk: member grouping, and precise refusals of bad shards (naming the
// shard and the sample), never a crash or a silent partial data set.
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTar } from "@adq/gateway";
import { expandBraces, isShardSpec, openDataset } from "@adq/ml";
import { describe, expect, it } from "vitest";

const JPG = readFileSync(new URL("../fixtures/datasets/folder-small/cat/0000.jpg", import.meta.url));
const PNG_PATH = new URL("../fixtures/cifar8/cat/0033.png", import.meta.url);
const PNG = readFileSync(PNG_PATH);
const bytes = (s: string) => new TextEncoder().encode(s);

async function shard(
  entries: { name: string; data?: Uint8Array }[],
  raw?: (b: Buffer) => Buffer,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "adq-wds-unit-"));
  const tar = writeTar(entries.map((e) => ({ ...e, data: e.data ?? new Uint8Array(0), type: "file" })));
  writeFileSync(join(dir, "s-0.tar"), raw ? raw(tar) : tar);
  return dir;
}

describe("WebDataset reader", () => {
  it("groups members by __key__ (first dot of the base name), prefers .jpg, labels by sorted .cls values", async () => {
    const dir = await shard([
      { name: "a/x1.cls", data: bytes("7\n") },
      { name: "a/x1.seg.png", data: PNG }, // not an image extension of the sample: "seg.png"
      { name: "a/x1.png", data: PNG },
      { name: "a/x1.jpg", data: JPG },
      { name: "b/x2.png", data: PNG },
      { name: "b/x2.cls", data: bytes("3") },
    ]);
    const r = await openDataset(dir);
    const d = await r.describe();
    expect(d.format).toBe("webdataset");
    expect(d.classes).toEqual(["3", "7"]);
    expect(d.items.map((i) => [i.id, i.label])).toEqual([
      ["a/x1", 1],
      ["b/x2", 0],
    ]);
    const sizes: number[] = [];
    for await (const b of r.batches(2)) for (const img of b.images) sizes.push(img.width);
    expect(sizes).toEqual([32, 32]);
    expect(isShardSpec(join(dir, "s-{0..0}.tar"))).toBe(true);
    expect(expandBraces("x-{9..11}")).toEqual(["x-9", "x-10", "x-11"]);
  });

  it("refuses a sample without .cls, a bad .cls, a duplicate __key__, a bad checksum and a truncated shard, naming them", async () => {
    const cases: [Parameters<typeof shard>[0], RegExp, ((b: Buffer) => Buffer)?][] = [
      [[{ name: "k1.jpg", data: JPG }], /s-0\.tar: sample "k1" has no \.cls member/],
      [
        [
          { name: "k1.cls", data: bytes("cat") },
          { name: "k1.jpg", data: JPG },
        ],
        /sample "k1": \.cls is "cat", not a class index/,
      ],
      [[{ name: "k1.cls", data: bytes("1") }], /sample "k1" has no image/],
      [
        [
          { name: "k1.cls", data: bytes("1") },
          { name: "k1.jpg", data: JPG },
          { name: "k2.cls", data: bytes("1") },
          { name: "k2.jpg", data: JPG },
          { name: "k1.cls", data: bytes("1") },
          { name: "k1.jpg", data: JPG },
        ],
        /sample "k1": __key__ appears twice/,
      ],
      [
        [
          { name: "k1.cls", data: bytes("1") },
          { name: "k1.jpg", data: JPG },
        ],
        /bad tar header checksum at byte 0/,
        (b) => {
          const c = Buffer.from(b);
          c[0] = 0x41;
          return c;
        },
      ],
      [
        [
          { name: "k1.cls", data: bytes("1") },
          { name: "k1.jpg", data: JPG },
        ],
        /truncated tar archive/,
        (b) => b.subarray(0, 1024 + 300),
      ],
    ];
    for (const [entries, message, raw] of cases) {
      const dir = await shard(entries, raw);
      await expect(openDataset(dir), String(message)).rejects.toMatchObject({
        code: "CORRUPT_DATASET",
        message: expect.stringMatching(message),
      });
    }
  });
});
