import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { asIoError, NotFoundError } from "./errors.ts";
import { assertValidKey, assertValidPrefix } from "./keys.ts";
import type { ArtifactInfo, ArtifactStore } from "./ports.ts";

/**
 * Embedded ArtifactStore on a local directory. Writes go to a temporary sibling and are
 * renamed into place, so a crash never leaves a torn artifact under its real key.
 * Digest and media type live in a `.meta.json` sidecar written after the content.
 */
export class FsArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  private path(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split("/"));
  }

  async put(key: string, data: Uint8Array, mediaType = "application/octet-stream"): Promise<ArtifactInfo> {
    const path = this.path(key);
    const digest = createHash("sha256").update(data).digest("hex");
    const existing = await this.stat(key);
    if (existing && existing.digest === digest) return existing;
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (e) {
      throw asIoError(e, dirname(path), "create the store folder");
    }
    const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    const info: ArtifactInfo = { key, size: data.byteLength, digest, mediaType };
    try {
      await writeFile(tmp, data);
      await writeFile(`${tmp}.meta`, JSON.stringify(info));
      // Content first, then the sidecar: a reader that finds the sidecar finds complete content.
      await rename(tmp, path);
      await rename(`${tmp}.meta`, `${path}.meta.json`);
    } catch (e) {
      // A failed write (a full disk) leaves neither temporary file behind.
      await rm(tmp, { force: true }).catch(() => {});
      await rm(`${tmp}.meta`, { force: true }).catch(() => {});
      throw asIoError(e, path, "write");
    }
    return info;
  }

  async get(key: string): Promise<Uint8Array> {
    if (!(await this.stat(key))) throw new NotFoundError(`artifact not found: ${key}`);
    return new Uint8Array(await readFile(this.path(key)));
  }

  async *stream(key: string, chunkSize = 1 << 20): AsyncIterable<Uint8Array> {
    if (!(await this.stat(key))) throw new NotFoundError(`artifact not found: ${key}`);
    for await (const chunk of createReadStream(this.path(key), { highWaterMark: chunkSize })) {
      yield new Uint8Array(chunk as Buffer);
    }
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    try {
      return JSON.parse(await readFile(`${this.path(key)}.meta.json`, "utf8")) as ArtifactInfo;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    assertValidPrefix(prefix);
    const out: ArtifactInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
        throw e;
      }
      for (const ent of entries) {
        const full = join(dir, ent.name);
        if (ent.isDirectory()) await walk(full);
        else if (ent.name.endsWith(".meta.json")) {
          const key = relative(this.root, full.slice(0, -".meta.json".length)).split(sep).join("/");
          if (!key.startsWith(prefix)) continue;
          let text: string;
          try {
            text = await readFile(full, "utf8");
          } catch (e) {
            // Deleted meanwhile (a concurrent deletePrefix, e.g. the cache sweep): not listed.
            if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
            throw e;
          }
          out.push(JSON.parse(text) as ArtifactInfo);
        }
      }
    };
    await walk(this.root);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const items = await this.list(prefix);
    for (const it of items) {
      const p = this.path(it.key);
      await rm(`${p}.meta.json`, { force: true });
      await rm(p, { force: true });
    }
    // A prefix that is a whole folder also drops the empty directories it leaves.
    if (prefix.endsWith("/"))
      await rm(join(this.root, ...prefix.slice(0, -1).split("/")), { recursive: true, force: true });
    return items.length;
  }

  /** Size on disk of everything under a prefix (for reports). */
  async totalSize(prefix: string): Promise<number> {
    let total = 0;
    for (const it of await this.list(prefix)) total += (await stat(this.path(it.key))).size;
    return total;
  }
}
