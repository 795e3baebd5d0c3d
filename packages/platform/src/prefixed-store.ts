import { assertValidKey, assertValidPrefix } from "./keys.ts";
import type { ArtifactInfo, ArtifactStore } from "./ports.ts";

/**
 * A view of an ArtifactStore confined to one key prefix, e.g. `tenants/acme/`: callers use
 * keys relative to it and can neither read nor list nor delete anything outside it. This is
 * how a tenant's stage calls see "the tenant's namespace" (proto/adq/v1/common.proto,
 * ArtifactRef.key) without every handler having to check prefixes.
 */
export class PrefixedArtifactStore implements ArtifactStore {
  readonly prefix: string;

  constructor(
    private readonly inner: ArtifactStore,
    prefix: string,
  ) {
    const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
    assertValidKey(p);
    this.prefix = `${p}/`;
  }

  private full(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }

  private local(info: ArtifactInfo): ArtifactInfo {
    return { ...info, key: info.key.slice(this.prefix.length) };
  }

  async put(key: string, data: Uint8Array, mediaType?: string): Promise<ArtifactInfo> {
    return this.local(await this.inner.put(this.full(key), data, mediaType));
  }

  get(key: string): Promise<Uint8Array> {
    return this.inner.get(this.full(key));
  }

  stream(key: string, chunkSize?: number): AsyncIterable<Uint8Array> {
    return this.inner.stream(this.full(key), chunkSize);
  }

  async stat(key: string): Promise<ArtifactInfo | undefined> {
    const info = await this.inner.stat(this.full(key));
    return info && this.local(info);
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    assertValidPrefix(prefix);
    return (await this.inner.list(this.prefix + prefix)).map((i) => this.local(i));
  }

  deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    return this.inner.deletePrefix(this.prefix + prefix);
  }
}
