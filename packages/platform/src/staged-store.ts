import { NotFoundError } from "./errors.ts";
import { assertValidKey, assertValidPrefix } from "./keys.ts";
import type { ArtifactInfo, ArtifactStore } from "./ports.ts";

/** A part that can also take a stream (bounded memory when sealing large results). */
export interface StreamingPut {
  putStream(key: string, source: AsyncIterable<Uint8Array>, info: ArtifactInfo): Promise<ArtifactInfo>;
}

export interface StagedArtifactStoreOptions {
  /** The part this process writes by default (a stage worker: its own; the control plane: its own). */
  own: string;
  /** Parts this process may write (the control plane: all; a stage worker: its own only). */
  writable: readonly string[];
  /** Which part produced a key of the job layout (undefined: a key of no stage). */
  route: (key: string) => string | undefined;
}

/**
 * An ArtifactStore made of several stores ("parts", e.g. one NATS Object Store bucket per
 * stage), so that the backend's own permissions can say who writes and who reads what:
 * a process holds only the parts it may read, and writes only to the parts it may write.
 *
 * - put: to the key's part (`route`) when this process may write it, else to `own`.
 * - get/stat/stream: the key's part first, then `own`, then the other held parts (a miss
 *   costs one lookup per part; keys of the job layout hit the first).
 * - list: the union over the held parts (the first part in that order wins a key held twice).
 * - deletePrefix: in every writable part.
 * - seal(prefix): moves what other parts hold under `prefix` into `own` (the control plane
 *   takes a finished job's results out of the producing stage's reach).
 */
export class StagedArtifactStore implements ArtifactStore {
  private readonly writable: Set<string>;

  constructor(
    private readonly parts: ReadonlyMap<string, ArtifactStore>,
    private readonly o: StagedArtifactStoreOptions,
  ) {
    if (!parts.has(o.own)) throw new RangeError(`StagedArtifactStore: own part ${o.own} is not held`);
    for (const w of o.writable)
      if (!parts.has(w)) throw new RangeError(`StagedArtifactStore: writable part ${w} is not held`);
    this.writable = new Set(o.writable);
  }

  /** One part's store (tests, metrics), or undefined when this process does not hold it. */
  part(name: string): ArtifactStore | undefined {
    return this.parts.get(name);
  }

  /** The part a put of `key` goes to. */
  partFor(key: string): string {
    const r = this.o.route(key);
    return r !== undefined && this.writable.has(r) ? r : this.o.own;
  }

  private readOrder(key: string): ArtifactStore[] {
    const names: string[] = [];
    const r = this.o.route(key);
    if (r !== undefined && this.parts.has(r)) names.push(r);
    const w = this.partFor(key);
    if (!names.includes(w)) names.push(w);
    for (const n of this.parts.keys()) if (!names.includes(n)) names.push(n);
    return names.map((n) => this.parts.get(n)!);
  }

  async put(key: string, data: Uint8Array, mediaType?: string): Promise<ArtifactInfo> {
    assertValidKey(key);
    return this.parts.get(this.partFor(key))!.put(key, data, mediaType);
  }

  async get(key: string): Promise<Uint8Array> {
    assertValidKey(key);
    // One lookup when the key's first part holds it (the job layout's keys).
    const order = this.readOrder(key);
    for (let i = 0; i < order.length - 1; i++) {
      try {
        return await order[i]!.get(key);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
    return order.at(-1)!.get(key);
  }

  async *stream(key: string, chunkSize?: number): AsyncIterable<Uint8Array> {
    yield* (await this.holder(key)).stream(key, chunkSize);
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    assertValidKey(key);
    for (const p of this.readOrder(key)) {
      const info = await p.stat(key);
      if (info) return info;
    }
    return undefined;
  }

  /** The first part holding `key`, or the key's first part (whose get throws NotFoundError). */
  private async holder(key: string): Promise<ArtifactStore> {
    assertValidKey(key);
    const order = this.readOrder(key);
    for (const p of order) if (await p.stat(key)) return p;
    return order[0]!;
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    assertValidPrefix(prefix);
    const seen = new Map<string, ArtifactInfo>();
    for (const p of this.parts.values())
      for (const i of await p.list(prefix)) if (!seen.has(i.key)) seen.set(i.key, i);
    return [...seen.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    let n = 0;
    for (const w of this.writable) n += await this.parts.get(w)!.deletePrefix(prefix);
    return n;
  }

  /**
   * Moves every artifact under `prefix` held by another writable part into `own`: copied
   * (streamed when `own` takes streams), its digest checked, then deleted where it was.
   * Returns how many moved. O(total bytes) once per finished job.
   */
  async seal(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const target = this.parts.get(this.o.own)!;
    let moved = 0;
    for (const name of this.writable) {
      if (name === this.o.own) continue;
      const part = this.parts.get(name)!;
      const items = await part.list(prefix);
      for (const it of items) {
        const copied = isStreaming(target)
          ? await target.putStream(it.key, part.stream(it.key), it)
          : await target.put(it.key, await part.get(it.key), it.mediaType);
        if (copied.digest !== it.digest || copied.size !== it.size)
          throw new Error(`seal: ${it.key} changed while it was copied (${name})`);
        moved++;
      }
      if (items.length > 0) await part.deletePrefix(prefix);
    }
    return moved;
  }
}

function isStreaming(s: ArtifactStore): s is ArtifactStore & StreamingPut {
  return typeof (s as Partial<StreamingPut>).putStream === "function";
}

/** `store.seal(prefix)` where the store has parts to seal; 0 otherwise (embedded, S3). */
export async function sealArtifacts(store: ArtifactStore, prefix: string): Promise<number> {
  return store instanceof StagedArtifactStore ? store.seal(prefix) : 0;
}
