import { cpSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DATASET } from "../../packages/cli/src/main.ts";

/** A small real ImageFolder: the first `perClass` demo images of the first `classes` classes. */
export function demoSlice(classes: number, perClass: number): string {
  const dir = mkdtempSync(join(tmpdir(), "adq-slice-"));
  const names = readdirSync(DEFAULT_DATASET).sort().slice(0, classes);
  for (const c of names) {
    mkdirSync(join(dir, c));
    for (const f of readdirSync(join(DEFAULT_DATASET, c)).sort().slice(0, perClass)) {
      cpSync(join(DEFAULT_DATASET, c, f), join(dir, c, f));
    }
  }
  return dir;
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
