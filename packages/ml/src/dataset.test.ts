import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cifar10BinaryReader } from "./cifar10-binary.ts";
import { DatasetError, type DatasetErrorCode, openDataset } from "./dataset.ts";
import { ImageFolderReader } from "./image-folder.ts";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/datasets/", import.meta.url));
const SMALL = join(FIXTURES, "folder-small");
const BIN = join(FIXTURES, "cifar-bin-small");
const A_JPEG = join(SMALL, "cat/0000.jpg");

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "adq-open-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function openError(path: string): Promise<DatasetError> {
  const e = await openDataset(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  return e as DatasetError;
}

async function expectOpenError(path: string, code: DatasetErrorCode, errPath: string, message: RegExp) {
  const e = await openError(path);
  expect(e.code).toBe(code);
  expect(e.path).toBe(errPath);
  expect(e.message).toContain(errPath);
  expect(e.message).toMatch(message);
}

describe("openDataset detects the format", () => {
  it("an ImageFolder root", async () => {
    const r = await openDataset(SMALL);
    expect(r).toBeInstanceOf(ImageFolderReader);
    expect(r.format).toBe("imagefolder");
    expect((await r.describe()).size).toBe(9);
  });

  it("a CIFAR-10 batch directory, with the split option passed on", async () => {
    const r = await openDataset(BIN);
    expect(r).toBeInstanceOf(Cifar10BinaryReader);
    expect((await r.describe()).size).toBe(9);
    expect((await (await openDataset(BIN, { split: "test" })).describe()).size).toBe(3);
  });

  it("a relative path, resolved to an absolute root", async () => {
    const r = await openDataset("test/fixtures/datasets/folder-small");
    expect(r.root).toBe(join(process.cwd(), "test/fixtures/datasets/folder-small"));
  });

  it("accepts a single class (whether that is useful is the caller's call)", async () => {
    const root = join(tmp, "one-class");
    await mkdir(join(root, "only"), { recursive: true });
    await copyFile(A_JPEG, join(root, "only", "a.jpg"));
    expect((await (await openDataset(root)).describe()).classes).toEqual(["only"]);
  });
});

describe("openDataset errors are precise and name the path", () => {
  it("unknown path", async () => {
    const p = join(tmp, "missing");
    await expectOpenError(p, "NOT_FOUND", p, /does not exist/);
  });

  it("a file, not a directory (with a hint for archives and batch files)", async () => {
    await expectOpenError(A_JPEG, "NOT_A_DIRECTORY", A_JPEG, /is a file, not a directory/);
    const tgz = join(tmp, "cifar10.tar.gz");
    await writeFile(tgz, "x");
    await expectOpenError(tgz, "NOT_A_DIRECTORY", tgz, /archive: extract it/);
    const bin = join(BIN, "test_batch.bin");
    await expectOpenError(bin, "NOT_A_DIRECTORY", bin, /directory that holds the CIFAR-10 batch files/);
  });

  it("an empty directory", async () => {
    const p = join(tmp, "empty");
    await mkdir(p);
    await expectOpenError(p, "EMPTY_DATASET", p, /is empty/);
    await writeFile(join(p, "README.txt"), "hi");
    await expectOpenError(p, "EMPTY_DATASET", p, /no class folders and no CIFAR-10 batch files/);
  });

  it("images but no class folders", async () => {
    const p = join(tmp, "flat");
    await mkdir(p);
    await copyFile(A_JPEG, join(p, "a.jpg"));
    await copyFile(A_JPEG, join(p, "b.png"));
    await expectOpenError(
      p,
      "NO_CLASS_FOLDERS",
      p,
      /2 image file\(s\) but no class folders.*root\/<class>\/<image>/,
    );
  });

  it("a class folder with no images", async () => {
    const p = join(tmp, "emptyclass");
    await mkdir(join(p, "cat"), { recursive: true });
    await mkdir(join(p, "dog"), { recursive: true });
    await copyFile(A_JPEG, join(p, "cat", "a.jpg"));
    await writeFile(join(p, "dog", "notes.txt"), "no images here");
    await expectOpenError(
      p,
      "EMPTY_CLASS",
      join(p, "dog"),
      /class folder .* holds no images \(\.jpg, \.jpeg, \.png, \.webp\)\.$/,
    );
  });

  it("the parent of split folders (a common mistake) is explained", async () => {
    const p = join(tmp, "splits");
    for (const split of ["test", "train"])
      for (const cls of ["cat", "dog"]) {
        await mkdir(join(p, split, cls), { recursive: true });
        await copyFile(A_JPEG, join(p, split, cls, "a.jpg"));
      }
    await expectOpenError(
      p,
      "EMPTY_CLASS",
      join(p, "test"),
      /holds sub-folders \(cat, dog\): .* is the parent of split folders, point at a split folder/,
    );
  });

  it("a layout error is not cached: fixing the tree and retrying works", async () => {
    const p = join(tmp, "fixable");
    await mkdir(join(p, "a"), { recursive: true });
    const reader = new ImageFolderReader(p);
    await expect(reader.describe()).rejects.toThrow(DatasetError);
    await copyFile(A_JPEG, join(p, "a", "x.jpg"));
    expect((await reader.describe()).size).toBe(1);
  });
});
