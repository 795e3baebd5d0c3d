import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decimalNumber } from "./numbers.ts";
import {
  canonicalPath,
  checkOutputTarget,
  checkWritableDir,
  discardStaging,
  makeDirs,
  prepareStaging,
  publishStaging,
} from "./output-dir.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "adq-outdir-"));

describe("checkOutputTarget", () => {
  it("refuses an --out that is, contains or lies inside an input, through symlinks too", async () => {
    const root = tmp();
    const data = join(root, "data");
    mkdirSync(join(data, "cls"), { recursive: true });
    symlinkSync(data, join(root, "alias"));
    const inputs = [{ what: "the data set", path: data }];
    await expect(checkOutputTarget(data, inputs)).rejects.toThrow(/is the data set/);
    await expect(checkOutputTarget(join(root, "alias"), inputs)).rejects.toThrow(/is the data set/);
    await expect(checkOutputTarget(root, inputs)).rejects.toThrow(/contains the data set/);
    await expect(checkOutputTarget(join(data, "result"), inputs)).rejects.toThrow(/inside the data set/);
    await expect(checkOutputTarget(join(root, "alias", "cls", "x"), inputs)).rejects.toThrow(
      /inside the data set/,
    );
    // A sibling whose name merely starts with the input's name is fine.
    await expect(checkOutputTarget(join(root, "data-result"), inputs)).resolves.toBeUndefined();
    await expect(checkOutputTarget(join(root, "out"), inputs)).resolves.toBeUndefined();
  });

  it("a cache may hold results inside it, but may not be or be inside --out", async () => {
    const root = tmp();
    const cache = join(root, "cache");
    mkdirSync(cache);
    const inputs = [{ what: "the cache directory", path: cache, allowInside: true }];
    await expect(checkOutputTarget(join(cache, "quality", "run-1"), inputs)).resolves.toBeUndefined();
    await expect(checkOutputTarget(cache, inputs)).rejects.toThrow(/is the cache directory/);
    await expect(checkOutputTarget(root, inputs)).rejects.toThrow(/contains the cache directory/);
  });

  it("refuses the current directory and its ancestors", async () => {
    await expect(checkOutputTarget(process.cwd(), [])).rejects.toThrow(/is the current directory/);
    await expect(checkOutputTarget(join(process.cwd(), ".."), [])).rejects.toThrow(
      /contains the current directory/,
    );
  });

  it("canonicalPath resolves the existing prefix and keeps the missing rest", async () => {
    const root = tmp();
    mkdirSync(join(root, "real"));
    symlinkSync(join(root, "real"), join(root, "link"));
    expect(await canonicalPath(join(root, "link", "a", "b"))).toBe(
      join(await canonicalPath(root), "real", "a", "b"),
    );
  });
});

describe("staging and directories", () => {
  it("makeDirs fails fast with the path where mkdir answers ENOENT for an existing parent (/proc)", async () => {
    await expect(makeDirs("/proc/adq-test/a")).rejects.toThrow(
      /cannot create \/proc\/adq-test: no such file or directory \(ENOENT\)/,
    );
  });

  it("makeDirs refuses a file on the way, naming it", async () => {
    const root = tmp();
    writeFileSync(join(root, "file"), "x");
    await expect(makeDirs(join(root, "file", "sub"))).rejects.toThrow(
      /file: a path component is not a directory/,
    );
  });

  it("a discarded staging leaves nothing, not even the parents it created", async () => {
    const root = tmp();
    const s = await prepareStaging(join(root, "a", "b", "out"));
    writeFileSync(join(s.tmp, "f"), "x");
    await discardStaging(s);
    expect(readdirSync(root)).toEqual([]);
  });

  it("a published staging replaces --out only when forced", async () => {
    const root = tmp();
    const out = join(root, "out");
    mkdirSync(out);
    writeFileSync(join(out, "old"), "x");
    const s = await prepareStaging(out);
    writeFileSync(join(s.tmp, "new"), "y");
    await expect(publishStaging(s, false)).rejects.toThrow(/cannot create .*out/);
    await publishStaging(s, true);
    expect(readdirSync(out)).toEqual(["new"]);
    expect(readdirSync(root)).toEqual(["out"]);
  });

  it("checkWritableDir creates the folder and leaves no probe behind", async () => {
    const dir = join(tmp(), "cache", "x");
    await checkWritableDir(dir, "the cache directory");
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    await expect(checkWritableDir("/proc/adq-cache", "the cache directory")).rejects.toThrow(
      /cannot create the cache directory at \/proc\/adq-cache/,
    );
  });
});

describe("decimalNumber", () => {
  it("reads decimal notation only", () => {
    expect(decimalNumber("--ratio", "0.1")).toBe(0.1);
    expect(decimalNumber("--ratio", ".5")).toBe(0.5);
    expect(decimalNumber("--ratio", "1e-1")).toBe(0.1);
    expect(decimalNumber("--seed", "-3")).toBe(-3);
    for (const bad of ["0x1", "0b1", "0o7", "", " ", "1_000", "Infinity", "NaN", "1e", "1.2.3", "abc"])
      expect(() => decimalNumber("--ratio", bad), bad).toThrow(/--ratio must be a decimal number/);
  });
});
