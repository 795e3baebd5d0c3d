/**
 * A streaming reader of tar archives (POSIX ustar, with GNU long names and pax `path`
 * records), for WebDataset shards. It yields every regular file's name, data offset and size
 * in archive order; a member's bytes are kept only when `keep(name)` says so (WebDataset's small
 * `.cls` members), everything else is skipped as it streams by. Memory: one header plus the
 * kept members, whatever the shard's size. Pure over its input chunks: no I/O of its own.
 */
import { DatasetError } from "./errors.ts";

export interface TarMember {
  readonly name: string;
  /** Byte offset of the member's data in the archive. */
  readonly offset: number;
  readonly size: number;
  /** The member's bytes, when `keep(name)` asked for them. */
  readonly data?: Uint8Array;
}

/** Pulls exact byte counts out of a chunk stream. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private length = 0;
  private done = false;
  /** Absolute offset of the next unread byte. */
  position = 0;
  private readonly it: AsyncIterator<Uint8Array>;
  constructor(src: AsyncIterable<Uint8Array>) {
    this.it = src[Symbol.asyncIterator]();
  }
  private async fill(n: number): Promise<boolean> {
    while (this.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length > 0) {
        this.chunks.push(r.value);
        this.length += r.value.length;
      }
    }
    return this.length >= n;
  }
  /** Exactly n bytes, or null at a clean end of stream (0 bytes left); short data throws. */
  async read(n: number, where: string): Promise<Uint8Array | null> {
    if (!(await this.fill(n))) {
      if (this.length === 0) return null;
      throw new DatasetError(
        "CORRUPT_DATASET",
        where,
        `${where}: truncated tar archive at byte ${this.position + this.length}`,
      );
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length, n - o);
      out.set(c.subarray(0, take), o);
      o += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.length -= n;
    this.position += n;
    return out;
  }
  /** Discards n bytes without keeping them. */
  async skip(n: number, where: string): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.length === 0 && !(await this.fill(1)))
        throw new DatasetError(
          "CORRUPT_DATASET",
          where,
          `${where}: truncated tar archive at byte ${this.position}`,
        );
      const c = this.chunks[0]!;
      const take = Math.min(c.length, left);
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
      this.length -= take;
      this.position += take;
      left -= take;
    }
  }
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

const text = new TextDecoder();

function cstr(b: Uint8Array, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return text.decode(nul < 0 ? s : s.subarray(0, nul));
}

function number(b: Uint8Array, start: number, len: number, where: string): number {
  if (b[start]! & 0x80) {
    // GNU base-256 for sizes ≥ 8 GiB.
    let v = b[start]! & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = cstr(b, start, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s))
    throw new DatasetError("CORRUPT_DATASET", where, `${where}: bad tar header number ${JSON.stringify(s)}`);
  return Number.parseInt(s, 8);
}

function checksumOk(h: Uint8Array, where: string): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === number(h, 148, 8, where);
}

/** pax extended header records: "len key=value\n". Only `path` matters here. */
function paxPath(data: Uint8Array): string | undefined {
  let path: string | undefined;
  let o = 0;
  while (o < data.length) {
    const sp = data.indexOf(0x20, o);
    if (sp < 0) break;
    const len = Number.parseInt(text.decode(data.subarray(o, sp)), 10);
    if (!Number.isInteger(len) || len <= 0) break;
    const rec = text.decode(data.subarray(sp + 1, o + len - 1));
    const eq = rec.indexOf("=");
    if (rec.slice(0, eq) === "path") path = rec.slice(eq + 1);
    o += len;
  }
  return path;
}

export async function* scanTar(
  chunks: AsyncIterable<Uint8Array>,
  keep: (name: string) => boolean,
  /** The archive's name, for errors. */
  where: string,
): AsyncGenerator<TarMember, void, undefined> {
  const q = new ByteQueue(chunks);
  let longName: string | undefined;
  try {
    for (;;) {
      const h = await q.read(512, where);
      if (h === null || h.every((x) => x === 0)) return; // end-of-archive blocks (or none)
      if (!checksumOk(h, where))
        throw new DatasetError(
          "CORRUPT_DATASET",
          where,
          `${where}: bad tar header checksum at byte ${q.position - 512}`,
        );
      const size = number(h, 124, 12, where);
      const type = String.fromCharCode(h[156]!);
      const prefix = cstr(h, 257, 6) === "ustar" ? cstr(h, 345, 155) : "";
      const name = longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
      const offset = q.position;
      const padded = Math.ceil(size / 512) * 512;
      if (type === "L" || type === "x") {
        const data = (await q.read(size, where)) ?? new Uint8Array(0);
        await q.skip(padded - size, where);
        longName = type === "L" ? cstr(data, 0, data.length) : (paxPath(data) ?? longName);
        continue;
      }
      longName = undefined;
      if (type === "0" || type === "\0") {
        if (keep(name)) {
          const data = (await q.read(size, where)) ?? new Uint8Array(0);
          await q.skip(padded - size, where);
          yield { name, offset, size, data };
        } else {
          await q.skip(padded, where);
          yield { name, offset, size };
        }
      } else await q.skip(padded, where); // directories, links, global pax headers
    }
  } finally {
    await q.close();
  }
}
