// Temp dirs and small real data sets for tests.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DATASET } from "@adq/cli";

/** A small real ImageFolder: the first `perClass` images of the first `classes` classes of `source`. */
export function sliceOf(source: string, classes: number, perClass: number): string {
  const dir = mkdtempSync(join(tmpdir(), "adq-slice-"));
  const names = readdirSync(source).sort().slice(0, classes);
  for (const c of names) {
    mkdirSync(join(dir, c));
    for (const f of readdirSync(join(source, c)).sort().slice(0, perClass)) {
      cpSync(join(source, c, f), join(dir, c, f));
    }
  }
  return dir;
}

/** A small real ImageFolder: the first `perClass` demo images of the first `classes` classes. */
export function demoSlice(classes: number, perClass: number): string {
  return sliceOf(DEFAULT_DATASET, classes, perClass);
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** All items of an async iterable (Array.fromAsync needs Node 22). */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The bytes of a truncated JPEG (a header, no image): a file every reader refuses. */
export const BROKEN_JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a]);

/** A demo slice with one corrupt image, `airplane/zz-broken.jpg` (last in its class's order). */
export function brokenSlice(classes: number, perClass: number): string {
  const dir = demoSlice(classes, perClass);
  writeFileSync(join(dir, "airplane", "zz-broken.jpg"), BROKEN_JPEG);
  return dir;
}
