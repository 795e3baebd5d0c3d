/**
 * A minimal POSIX tar writer for result archives (reconstructed.tar): regular files and
 * directories, mode 0644/0755, no owners, mtime 0, so the same content gives the same bytes.
 * Names over ustar's 100 bytes get a PAX `path` record. O(total size).
 */

const BLOCK = 512;
const enc = new TextEncoder();

function header(name: string, size: number, type: "0" | "5" | "x"): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0");
  put(name, 0, 100);
  put(octal(type === "5" ? 0o755 : 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  put(type, 156, 1);
  put("ustar\x0000", 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}

function padded(data: Uint8Array): Uint8Array[] {
  const rest = data.length % BLOCK;
  return rest === 0 ? [data] : [data, new Uint8Array(BLOCK - rest)];
}

/** Collects entries; `bytes()` returns the archive. */
export class TarWriter {
  private readonly parts: Uint8Array[] = [];

  private entry(name: string, data: Uint8Array, type: "0" | "5"): void {
    if (enc.encode(name).length > 100) {
      // PAX record "<len> path=<name>\n", where <len> counts its own digits.
      const body = ` path=${name}\n`;
      let len = enc.encode(body).length + 1;
      while (String(len).length + enc.encode(body).length !== len) len++;
      const rec = enc.encode(`${len}${body}`);
      this.parts.push(header("././@PaxHeader", rec.length, "x"), ...padded(rec));
    }
    this.parts.push(header(name, data.length, type), ...padded(data));
  }

  dir(name: string): void {
    this.entry(name.endsWith("/") ? name : `${name}/`, new Uint8Array(0), "5");
  }

  file(name: string, data: Uint8Array): void {
    this.entry(name, data, "0");
  }

  bytes(): Uint8Array {
    const all = [...this.parts, new Uint8Array(2 * BLOCK)];
    const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of all) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
