/**
 * Confinement of dataset reads to the dataset's own folder.
 *
 * A data root may be a volume other people write into. A symbolic link inside a dataset
 * (`cat/x.jpg -> /etc/shadow`, `cat -> /home/other/photos`) must not make a server read,
 * select or describe a file outside it. Every folder the readers list and every file they
 * open is resolved to its real path and refused unless it lies inside the real path of the
 * dataset root (symlinks that stay inside still work).
 *
 * Files are checked *after* opening, through the descriptor (`/proc/self/fd/N` on Linux),
 * so a link swapped in between the check and the read cannot redirect it; elsewhere the
 * path is resolved just before opening (a small race remains there). Only regular files are
 * read: a FIFO or a device would hang or never end.
 */
import { closeSync, fstatSync, openSync, readlinkSync, readSync, realpathSync } from "node:fs";
import { type FileHandle, open, readlink, realpath } from "node:fs/promises";
import { sep } from "node:path";
import { DatasetError } from "./errors.ts";

/** True when `real` (a real path) is `root` or lies below it. */
export function isInside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}

function outside(path: string, root: string): DatasetError {
  return new DatasetError(
    "OUTSIDE_ROOT",
    path,
    `${path} resolves outside the dataset folder ${root} (a symbolic link): refused`,
  );
}

/** The real path of `path`, which must lie inside `realRoot`. */
export async function confinedRealpath(path: string, realRoot: string): Promise<string> {
  const real = await realpath(path);
  if (!isInside(real, realRoot)) throw outside(path, realRoot);
  return real;
}

/** The real path behind an open descriptor, or undefined where /proc is not available. */
function fdRealpathSync(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * A file over the read limit: refused before a byte of it is read (a 1.9 GB sparse `.jpg`
 * costs no disk but would cost 1.9 GB of memory). Names the file, never its content.
 */
export class FileTooLargeError extends Error {
  override readonly name = "FileTooLargeError";
  constructor(
    readonly path: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(
      size > maxBytes
        ? `${path} is ${size} bytes, over the ${maxBytes}-byte limit of one file: refused`
        : `${path} grew while it was read (over ${maxBytes} bytes or past its size at open): refused`,
    );
  }
}

function checkMax(maxBytes: number): void {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0))
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
}

/**
 * Reads an open regular file of `size` bytes (from fstat) whole, refusing it if it is over
 * `maxBytes` or grows while read. Memory: one buffer of `size` ≤ `maxBytes` bytes, whatever
 * the file claims later.
 */
export function readBoundedSync(fd: number, path: string, maxBytes: number): Buffer {
  checkMax(maxBytes);
  const { size } = fstatSync(fd);
  if (size > maxBytes) throw new FileTooLargeError(path, size, maxBytes);
  const buf = Buffer.allocUnsafe(size);
  let n = 0;
  while (n < size) {
    const r = readSync(fd, buf, n, size - n, n);
    if (r === 0) break; // shrank: what is there
    n += r;
  }
  if (readSync(fd, Buffer.allocUnsafe(1), 0, 1, n) > 0) throw new FileTooLargeError(path, n + 1, maxBytes);
  return n === size ? buf : buf.subarray(0, n);
}

/** `readBoundedSync` with async calls on a FileHandle. */
export async function readBounded(fh: FileHandle, path: string, maxBytes: number): Promise<Buffer> {
  checkMax(maxBytes);
  const { size } = await fh.stat();
  if (size > maxBytes) throw new FileTooLargeError(path, size, maxBytes);
  const buf = Buffer.allocUnsafe(size);
  let n = 0;
  while (n < size) {
    const { bytesRead } = await fh.read(buf, n, size - n, n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  if ((await fh.read(Buffer.allocUnsafe(1), 0, 1, n)).bytesRead > 0)
    throw new FileTooLargeError(path, n + 1, maxBytes);
  return n === size ? buf : buf.subarray(0, n);
}

/** Refuses a non-regular file; `why` says what it is (for the message). */
function notRegular(path: string, kind: string): DatasetError {
  return new DatasetError("OUTSIDE_ROOT", path, `${path} is ${kind}, not a regular file: refused`);
}

/**
 * Reads a whole regular file that must lie inside `realRoot`, with blocking calls (the
 * ImageFolder sync read mode), refusing one over `maxBytes` (FileTooLargeError) before
 * reading it. Errors from the filesystem are rethrown as they are.
 */
export function readConfinedFileSync(path: string, realRoot: string, maxBytes: number): Buffer {
  if (process.platform !== "linux") {
    const real = realpathSync(path);
    if (!isInside(real, realRoot)) throw outside(path, realRoot);
  }
  const fd = openSync(path, "r");
  try {
    const real = fdRealpathSync(fd);
    if (real !== undefined && !isInside(real, realRoot)) throw outside(path, realRoot);
    if (!fstatSync(fd).isFile()) throw notRegular(path, "a folder, device or pipe");
    return readBoundedSync(fd, path, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** Opens a regular file that must lie inside `realRoot` (checked on the open descriptor). */
export async function openConfined(path: string, realRoot: string): Promise<FileHandle> {
  if (process.platform !== "linux") await confinedRealpath(path, realRoot);
  const fh = await open(path, "r");
  try {
    let real: string | undefined;
    try {
      real = await readlink(`/proc/self/fd/${fh.fd}`);
    } catch {
      real = undefined;
    }
    if (real !== undefined && !isInside(real, realRoot)) throw outside(path, realRoot);
    if (!(await fh.stat()).isFile()) throw notRegular(path, "a folder, device or pipe");
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Reads a whole regular file inside `realRoot` of at most `maxBytes` with async calls. */
export async function readConfinedFile(path: string, realRoot: string, maxBytes: number): Promise<Buffer> {
  const fh = await openConfined(path, realRoot);
  try {
    return await readBounded(fh, path, maxBytes);
  } finally {
    await fh.close();
  }
}
