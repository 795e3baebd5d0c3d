import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, realpath, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { asIoError, errnoOf, IoError } from "@adq/platform";

/**
 * Where a command may write its result, checked before any work: `--out` is published by
 * writing a staging folder beside it and renaming it into place (so it is never partial), and
 * `--force` replaces it — which must never delete the user's inputs.
 */

/** A wrong command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * The absolute path with every existing prefix resolved through symlinks (realpath of the
 * longest existing ancestor, the missing rest appended): two spellings of one folder compare
 * equal, and a symlinked `--out` cannot hide that it points into the data set.
 */
export async function canonicalPath(path: string): Promise<string> {
  let head = resolve(path);
  const rest: string[] = [];
  // Bounded by the path's depth: each step strips one component.
  for (;;) {
    try {
      return join(await realpath(head), ...rest);
    } catch (e) {
      const parent = dirname(head);
      if (parent === head || (errnoOf(e) !== "ENOENT" && errnoOf(e) !== "ENOTDIR")) return resolve(path);
      rest.unshift(basename(head));
      head = parent;
    }
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep);
}

/** An input `--out` must keep clear of, e.g. `{ what: "the data set", path }`. */
export interface ProtectedPath {
  what: string;
  path: string;
  /**
   * A result inside it is fine (a cache: losing part of it costs a recomputation, and tools keep
   * results there); it still may not be replaced or contain the result.
   */
  allowInside?: boolean;
}

/** A file's identity: the same folder reached through a bind mount has the same one. */
type FileId = `${bigint}:${bigint}`;

async function fileId(path: string): Promise<FileId | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * The identities of `path` (first, when it exists) and of every existing ancestor of it,
 * walking up its canonical path. O(depth) stat calls.
 */
async function idChain(canonical: string): Promise<FileId[]> {
  const ids: FileId[] = [];
  for (let cur = canonical; ; cur = dirname(cur)) {
    const id = await fileId(cur);
    if (id) ids.push(id);
    if (dirname(cur) === cur) return ids;
  }
}

/**
 * Refuses an `--out` that is, contains or lies inside any input (or is or contains the working
 * directory or the cache): replacing it would delete the input, and a result inside a data set
 * becomes part of the next run's data. Compared by path (through symlinks) and by device and
 * inode, so a bind mount of the data set (same folder, other path) is recognised too.
 * O(inputs · path depth) system calls.
 */
export async function checkOutputTarget(out: string, inputs: readonly ProtectedPath[]): Promise<void> {
  const o = await canonicalPath(out);
  const outId = await fileId(o);
  const outChain = await idChain(o);
  const guarded = [...inputs, { what: "the current directory", path: process.cwd(), allowInside: true }];
  for (const input of guarded) {
    const p = await canonicalPath(input.path);
    const inId = await fileId(p);
    if (o === p || (outId !== undefined && outId === inId))
      throw new UsageError(`--out ${out} is ${input.what} (${p}); choose a folder outside it`);
    if (isInside(p, o) || (outId !== undefined && (await idChain(p)).includes(outId)))
      throw new UsageError(`--out ${out} contains ${input.what} (${p}); choose a folder outside it`);
    if ((isInside(o, p) || (inId !== undefined && outChain.includes(inId))) && !input.allowInside)
      throw new UsageError(`--out ${out} is inside ${input.what} (${p}); choose a folder outside it`);
  }
}

/** True when `path` is a directory with entries; false when it does not exist. */
export async function isNonEmptyDir(path: string, flag = "--out"): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0;
  } catch (e) {
    const code = errnoOf(e);
    if (code === "ENOENT") return false;
    if (code === "ENOTDIR") {
      // The path itself is a file, or a file lies above it (then staging names that one).
      if (
        await stat(path).then(
          (st) => !st.isDirectory(),
          () => false,
        )
      )
        throw new UsageError(`${flag} ${path} exists and is not a directory`);
      return false;
    }
    throw asIoError(e, path, "read");
  }
}

/**
 * Creates `dir` and its missing ancestors one level at a time. Node's recursive mkdir loops
 * forever where mkdir answers ENOENT for a parent that exists (e.g. under /proc); here every
 * failure is an IoError naming the path. Returns the folders it created, deepest last.
 */
export async function makeDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    try {
      const st = await stat(cur);
      if (!st.isDirectory()) throw new IoError(cur, "ENOTDIR", "create a folder in");
      break;
    } catch (e) {
      if (e instanceof IoError) throw e;
      // ENOTDIR: a file somewhere above; walking up finds and names it.
      if (errnoOf(e) !== "ENOENT" && errnoOf(e) !== "ENOTDIR") throw asIoError(e, cur, "access");
      const parent = dirname(cur);
      if (parent === cur) throw asIoError(e, cur, "access");
      missing.unshift(cur);
      cur = parent;
    }
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      await mkdir(d);
      created.push(d);
    } catch (e) {
      await removeEmptyDirs(created);
      throw asIoError(e, d, "create");
    }
  }
  return created;
}

/** Removes folders that `makeDirs` created, deepest first, leaving any that are not empty. */
export async function removeEmptyDirs(created: readonly string[]): Promise<void> {
  for (const d of [...created].reverse()) await rmdir(d).catch(() => {});
}

/** A staging folder beside `--out`: proves before any work that the result can be written. */
export interface Staging {
  out: string;
  tmp: string;
  /** Folders above `out` that did not exist and were created for it. */
  createdParents: string[];
}

export async function prepareStaging(out: string): Promise<Staging> {
  const createdParents = await makeDirs(dirname(out));
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${randomBytes(3).toString("hex")}`);
  try {
    await mkdir(tmp);
  } catch (e) {
    await removeEmptyDirs(createdParents);
    throw asIoError(e, dirname(out), "write in");
  }
  return { out, tmp, createdParents };
}

/**
 * Moves the staging folder into place. With `force` an existing `out` is replaced — checked
 * again against `inputs` right before (a parent symlink or a mount may have changed during
 * the run), then moved aside and deleted only if what was moved is the entry seen before the
 * check (same device and inode): a swap between the check and the move puts it back and
 * refuses.
 */
export async function publishStaging(
  s: Staging,
  force: boolean,
  inputs: readonly ProtectedPath[] = [],
): Promise<void> {
  let trash: string | undefined;
  if (force) {
    // The entry first, then the check: a swap after this lstat is caught by the check or, if
    // later, by comparing what the rename moved with it.
    const expected = await lstat(s.out, { bigint: true }).then(
      (st): FileId => `${st.dev}:${st.ino}`,
      () => undefined,
    );
    await checkOutputTarget(s.out, inputs);
    if (expected !== undefined) {
      trash = `${s.tmp}.old`;
      try {
        await rename(s.out, trash);
      } catch (e) {
        throw asIoError(e, s.out, "replace");
      }
      const st = await lstat(trash, { bigint: true });
      if (`${st.dev}:${st.ino}` !== expected) {
        await rename(trash, s.out).catch(() => {});
        throw new UsageError(`--out ${s.out} changed while the result was written; nothing was replaced`);
      }
    }
  }
  try {
    await rename(s.tmp, s.out);
  } catch (e) {
    if (trash) await rename(trash, s.out).catch(() => {});
    throw asIoError(e, s.out, "create");
  }
  if (trash) await rm(trash, { recursive: true, force: true }).catch(() => {});
}

/** Removes what a failed or interrupted run staged: nothing of it stays on disk. */
export async function discardStaging(s: Staging): Promise<void> {
  await rm(s.tmp, { recursive: true, force: true }).catch(() => {});
  await removeEmptyDirs(s.createdParents);
}

/**
 * Writes a result folder atomically: `fill` writes into a staging folder beside `out`, which
 * then replaces `out` (publishStaging, with `force` and its re-check against `inputs`); if
 * `fill` or the publish fails, nothing of it stays on disk.
 */
export async function writeStaged<T>(
  out: string,
  force: boolean,
  inputs: readonly ProtectedPath[],
  fill: (tmp: string) => Promise<T>,
): Promise<T> {
  const staging = await prepareStaging(out);
  let published = false;
  try {
    const result = await fill(staging.tmp);
    await publishStaging(staging, force, inputs);
    published = true;
    return result;
  } finally {
    if (!published) await discardStaging(staging);
  }
}

/**
 * Checks that a folder can hold new files (creating it if needed) by writing and removing a
 * probe file, so a read-only or missing cache fails before the pipeline runs, not after.
 */
export async function checkWritableDir(dir: string, what: string): Promise<void> {
  await makeDirs(dir).catch((e: unknown) => {
    throw e instanceof IoError ? new IoError(e.path, e.code, `create ${what} at`) : e;
  });
  const probe = join(dir, `.adq-probe-${process.pid}-${randomBytes(3).toString("hex")}`);
  try {
    await writeFile(probe, "");
  } catch (e) {
    throw asIoError(e, dir, `write in ${what}`);
  } finally {
    await rm(probe, { force: true }).catch(() => {});
  }
}
