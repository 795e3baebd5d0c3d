/**
 * Streaming tar extraction for uploads: the archive (gzip or not) is decompressed by a zlib
 * stream (inflate runs on libuv's thread pool, never on the event loop) and unpacked entry by
 * entry straight to disk, so memory stays at a few buffers whatever the archive expands to.
 *
 * Caps, checked before anything is written:
 * - `maxBytes`: the sum of the file sizes the headers declare — a header declaring more than
 *   what is left stops the extraction before a byte of that file is read (a gzip bomb that
 *   expands into one huge entry costs one header);
 * - `maxFiles`: entries (files and folders);
 * - `maxInflatedBytes`: bytes coming out of the decompressor (headers, padding, metadata
 *   records included), so no shape of archive can make the server inflate more;
 * - metadata records (pax, GNU long names) at most 64 KiB each.
 * The same names are refused as by `readTar` (absolute, `..`, links, devices, FIFOs).
 * Nothing is ever overwritten or followed: files are created with O_EXCL under a fresh folder
 * that holds no links (none can be extracted).
 */
import { createHash } from "node:crypto";
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import {
  BLOCK,
  checksumOk,
  fileEntry,
  notFileOrFolder,
  octal,
  parsePax,
  rawEntryName,
  safeEntryName,
  str,
  TarError,
} from "./tar.ts";

export interface StreamTarLimits {
  maxFiles: number;
  /** File bytes once extracted. */
  maxBytes: number;
  /** Bytes out of the decompressor (default: maxBytes + 64 MiB). */
  maxInflatedBytes?: number;
}

const MAX_META = 64 * 1024;

/** Pulls exact byte counts out of an async stream of chunks, holding only what is asked. */
class ByteReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private readonly it: AsyncIterator<Buffer>;
  total = 0;
  done = false;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly cap: number,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.have < n) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      this.total += b.length;
      if (this.total > this.cap)
        throw new TarError(`archive expands to more than ${this.cap} bytes: refused (decompression bomb?)`);
      this.chunks.push(b);
      this.have += b.length;
    }
    return true;
  }

  /** Exactly `n` bytes, or null at the end of the stream (a shorter tail throws). */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.have === 0) return null;
      throw new TarError("truncated archive");
    }
    return this.take(n);
  }

  /** Up to `max` bytes (at least one), or null at the end. */
  async some(max: number): Promise<Buffer | null> {
    if (this.have === 0 && !(await this.fill(1))) return null;
    return this.take(Math.min(max, this.have));
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.have -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.have -= n;
    return out;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Filesystem refusals inside the fresh folder mean a malformed archive, not a server fault. */
function fsError(e: unknown, name: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EEXIST") return new TarError(`duplicate entry ${JSON.stringify(name)}`);
  if (code === "ENOTDIR" || code === "EISDIR")
    return new TarError(`entry ${JSON.stringify(name)} clashes with a file or folder of the same name`);
  if (code === "ENAMETOOLONG")
    return new TarError(`entry name too long: ${JSON.stringify(name.slice(0, 200))}…`);
  return e;
}

/**
 * Extracts `archive` (plain tar, or gzip of one when `gzip`) into the existing empty folder
 * `dest`. Returns the number of entries and of file bytes written, and the content digest:
 * SHA-256 over the sorted SHA-256s of `path NUL sha256(file)` of every file (folders do not
 * count), so it names the files, not the archive (compression, tar tool, entry order). The
 * files are hashed as they stream to disk; memory O(32 B · entries), bounded by maxFiles.
 * Throws `TarError` on anything unsafe, malformed or over a cap; the caller removes `dest` then.
 */
export async function extractTarStream(
  archive: Uint8Array,
  dest: string,
  limits: StreamTarLimits,
  gzip = isGzip(archive),
): Promise<{ entries: number; bytes: number; contentSha256: string }> {
  const input = Readable.from([Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength)], {
    objectMode: false,
  });
  const gunzip = gzip ? createGunzip({ chunkSize: 64 * 1024 }) : undefined;
  const source = (gunzip ? input.pipe(gunzip) : input) as AsyncIterable<Buffer>;
  const cap = limits.maxInflatedBytes ?? limits.maxBytes + 64 * 1024 * 1024;
  const r = new ByteReader(source, cap);
  let entries = 0;
  let total = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  let sawEnd = false;
  let lastDir: string | undefined;
  const fileDigests: Buffer[] = [];
  try {
    for (;;) {
      const h = await r.read(BLOCK);
      if (h === null) break;
      if (h.every((b) => b === 0)) {
        sawEnd = true;
        break;
      }
      if (!checksumOk(h))
        throw new TarError(`not a tar archive (bad header checksum at entry ${entries + 1})`);
      const type = String.fromCharCode(h[156]!);
      let size = octal(h, 124, 12, "size");
      if (pax.size !== undefined) size = Number(pax.size);
      if (!Number.isSafeInteger(size) || size < 0) throw new TarError(`bad size in entry ${entries + 1}`);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === "L" || type === "x" || type === "g") {
        if (size > MAX_META) throw new TarError(`metadata record of ${size} bytes (at most ${MAX_META})`);
        const data = (await r.read(padded))?.subarray(0, size);
        if (!data && size > 0) throw new TarError("truncated archive");
        if (type === "L") longName = str(data ?? Buffer.alloc(0), 0, size);
        else if (type === "x") pax = parsePax(data ?? Buffer.alloc(0));
        continue;
      }
      const rawName = rawEntryName(h, pax, longName);
      longName = undefined;
      pax = {};
      if (++entries > limits.maxFiles)
        throw new TarError(`archive holds more than ${limits.maxFiles} entries`);
      if (type === "0" || type === "\0" || type === "7") {
        const name = fileEntry(rawName, size, total, limits.maxBytes);
        total += size;
        const target = join(dest, ...name.split("/"));
        let fh: Awaited<ReturnType<typeof open>>;
        try {
          // One mkdir per folder run, not per file: floods of tiny entries are mostly siblings.
          if (dirname(target) !== lastDir) {
            await mkdir(dirname(target), { recursive: true });
            lastDir = dirname(target);
          }
          fh = await open(target, "wx");
        } catch (e) {
          throw fsError(e, name);
        }
        const fileHash = createHash("sha256");
        try {
          let left = size;
          while (left > 0) {
            const part = await r.some(left);
            if (!part) throw new TarError(`truncated archive (entry ${JSON.stringify(name)})`);
            fileHash.update(part);
            await fh.write(part);
            left -= part.length;
          }
        } finally {
          await fh.close();
        }
        fileDigests.push(
          createHash("sha256")
            .update(`${name}\0${fileHash.digest("hex")}`)
            .digest(),
        );
        if (padded > size && !(await r.read(padded - size))) throw new TarError("truncated archive");
      } else if (type === "5") {
        const name = safeEntryName(rawName);
        if (padded > 0) await r.read(padded);
        if (name !== "")
          try {
            await mkdir(join(dest, ...name.split("/")), { recursive: true });
          } catch (e) {
            throw fsError(e, name);
          }
      } else throw notFileOrFolder(type, rawName);
    }
    if (!sawEnd && r.total % BLOCK !== 0) throw new TarError("truncated archive (trailing partial block)");
    if (entries === 0) throw new TarError("empty or not a tar archive");
    // Sorted: the digest does not depend on entry order (names are unique: O_EXCL above).
    fileDigests.sort(Buffer.compare);
    const content = createHash("sha256");
    for (const d of fileDigests) content.update(d);
    return { entries, bytes: total, contentSha256: content.digest("hex") };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code?.startsWith("Z_"))
      throw new TarError(`gzip: ${(e as Error).message}`);
    throw e;
  } finally {
    // Stop inflating whatever follows the end marker (or the error): no work for a bomb's tail.
    await r.close().catch(() => {});
    gunzip?.destroy();
    input.destroy();
  }
}
