/**
 * A minimal POSIX tar (ustar) reader and writer, enough for dataset uploads: regular files
 * and directories, ustar `prefix` for long names, pax `path`/`size` records and GNU long
 * names on read. No dependency: node has no tar in its standard library.
 *
 * The reader is strict about what it returns (see `readTar`): every entry name is a
 * relative, normalised path without `.`/`..` segments; symlinks, hard links, devices and
 * FIFOs are refused, as are archives over the file-count or byte caps.
 */

export interface TarEntry {
  /** Relative path, '/'-separated, no leading '/', no '.' or '..' segments. */
  name: string;
  type: "file" | "dir";
  data: Uint8Array;
}

export class TarError extends Error {
  override readonly name = "TarError";
}

export interface TarLimits {
  maxFiles: number;
  maxBytes: number;
}

/** Tar header and data block size. The field readers below serve readTar and the streaming extractor. */
export const BLOCK = 512;

export function str(buf: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  return Buffer.from(buf.subarray(off, end)).toString("utf8");
}

export function octal(buf: Uint8Array, off: number, len: number, what: string): number {
  // GNU base-256 for big numbers: high bit of the first byte set.
  if (buf[off]! & 0x80) {
    let v = buf[off]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + buf[off + i]!;
    return v;
  }
  const s = str(buf, off, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`bad ${what} field ${JSON.stringify(s)}`);
  return Number.parseInt(s, 8);
}

export function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === octal(h, 148, 8, "checksum");
}

/** An entry's name before normalisation: a pax `path`, a GNU long name, or ustar prefix + name. */
export function rawEntryName(
  h: Uint8Array,
  pax: Record<string, string>,
  longName: string | undefined,
): string {
  const prefix = str(h, 257, 6).startsWith("ustar") ? str(h, 345, 155) : "";
  return pax.path ?? longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
}

/** A file entry's safe name; throws when its size brings the extracted total past `maxBytes`. */
export function fileEntry(rawName: string, size: number, total: number, maxBytes: number): string {
  const name = safeEntryName(rawName);
  if (name === "") throw new TarError("a file entry without a name");
  if (total + size > maxBytes) throw new TarError(`archive content exceeds ${maxBytes} bytes once extracted`);
  return name;
}

/** The error for an entry that is neither a file nor a folder (links, FIFOs, devices). */
export function notFileOrFolder(type: string, rawName: string): TarError {
  const what = type === "1" ? "hard link" : type === "2" ? "symlink" : type === "6" ? "FIFO" : "device file";
  return new TarError(`entry ${JSON.stringify(rawName)} is a ${what}: only files and folders are allowed`);
}

/** Normalises an entry name; throws on absolute paths, `..` and other unsafe names. */
export function safeEntryName(raw: string): string {
  if (raw.includes("\0")) throw new TarError(`entry name with a NUL byte: ${JSON.stringify(raw)}`);
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw) || raw.includes("\\"))
    throw new TarError(`absolute or non-POSIX entry name ${JSON.stringify(raw)}`);
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === ".."))
    throw new TarError(`entry name ${JSON.stringify(raw)} leaves the archive (..)`);
  return parts.join("/");
}

export function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const text = Buffer.from(data).toString("utf8");
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(" ", i);
    if (sp < 0) break;
    const len = Number.parseInt(text.slice(i, sp), 10);
    if (!Number.isFinite(len) || len <= 0) throw new TarError("bad pax record");
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Reads every entry of an uncompressed tar held in memory. */
export function readTar(buf: Uint8Array, limits: TarLimits): TarEntry[] {
  const entries: TarEntry[] = [];
  let off = 0;
  let total = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  let sawEnd = false;
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) {
      sawEnd = true;
      break;
    }
    if (!checksumOk(h)) throw new TarError(`not a tar archive (bad header checksum at byte ${off})`);
    const type = String.fromCharCode(h[156]!);
    let size = octal(h, 124, 12, "size");
    if (pax.size !== undefined) size = Number(pax.size);
    const dataStart = off + BLOCK;
    if (!Number.isSafeInteger(size) || size < 0 || dataStart + size > buf.length)
      throw new TarError(`truncated archive (entry at byte ${off})`);
    const data = buf.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = str(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      pax = parsePax(data);
      continue;
    }
    if (type === "g") continue; // global pax header: nothing we use
    const rawName = rawEntryName(h, pax, longName);
    longName = undefined;
    pax = {};
    if (type === "0" || type === "\0" || type === "7") {
      const name = fileEntry(rawName, size, total, limits.maxBytes);
      total += size;
      entries.push({ name, type: "file", data });
    } else if (type === "5") {
      const name = safeEntryName(rawName);
      if (name !== "") entries.push({ name, type: "dir", data: new Uint8Array(0) });
    } else throw notFileOrFolder(type, rawName);
    if (entries.length > limits.maxFiles)
      throw new TarError(`archive holds more than ${limits.maxFiles} entries`);
  }
  if (!sawEnd && off < buf.length) throw new TarError("truncated archive (trailing partial block)");
  if (entries.length === 0) throw new TarError("empty or not a tar archive");
  return entries;
}

function writeField(h: Uint8Array, off: number, len: number, value: string): void {
  const b = Buffer.from(value, "utf8");
  if (b.length > len) throw new TarError(`field too long: ${value}`);
  h.set(b, off);
}

function writeOctal(h: Uint8Array, off: number, len: number, n: number): void {
  writeField(h, off, len, `${n.toString(8).padStart(len - 1, "0")}\0`);
}

/** Writes a ustar archive (tests, tools). Names over 100 bytes use the prefix field. */
export function writeTar(entries: ReadonlyArray<{ name: string; data?: Uint8Array; type?: string }>): Buffer {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const h = new Uint8Array(BLOCK);
    const isDir = e.type === "dir" || (e.type === undefined && e.data === undefined);
    const data = e.data ?? new Uint8Array(0);
    let name = isDir && !e.name.endsWith("/") ? `${e.name}/` : e.name;
    let prefix = "";
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf("/", name.length - 2);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
    writeField(h, 0, 100, name);
    writeOctal(h, 100, 8, isDir ? 0o755 : 0o644);
    writeOctal(h, 108, 8, 0);
    writeOctal(h, 116, 8, 0);
    writeOctal(h, 124, 12, isDir ? 0 : data.length);
    writeOctal(h, 136, 12, 0);
    const typeflag = e.type && e.type !== "dir" && e.type !== "file" ? e.type : isDir ? "5" : "0";
    h[156] = typeflag.charCodeAt(0);
    writeField(h, 257, 6, "ustar\0");
    writeField(h, 263, 2, "00");
    writeField(h, 345, 155, prefix);
    for (let i = 148; i < 156; i++) h[i] = 32;
    let sum = 0;
    for (const b of h) sum += b;
    writeField(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
    parts.push(h);
    if (!isDir && data.length > 0) {
      parts.push(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(new Uint8Array(pad));
    }
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return Buffer.concat(parts);
}
