/**
 * Throttling of failed authentication (issue 28: 3,000 wrong API keys at 819/s were neither
 * slowed nor locked out). Two token buckets per attempt, checked BEFORE the key is looked up
 * so that a throttled caller learns nothing about the key it sent:
 *
 * - per peer address (the port dropped): one machine guessing;
 * - per key prefix (the first 8 characters presented): many machines guessing one key.
 *
 * Every failed attempt (unknown or malformed key) takes a token from both buckets; a bucket
 * refills at `refillPerSecond` up to `burst`. An empty bucket refuses every attempt through it
 * — a valid key too — until a token is back (RESOURCE_EXHAUSTED naming the wait): at most
 * `burst` guesses at once, then `refillPerSecond` a second, per address and per prefix.
 * Successful calls cost nothing. Memory: at most `maxEntries` buckets (the oldest-touched
 * are dropped first: Map insertion order, re-inserted on use), O(1) per attempt.
 */
import { isIP } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { RpcError } from "./errors.ts";

export interface AuthThrottleOptions {
  /** Failed attempts allowed at once per peer and per key prefix (default 20). */
  burst?: number;
  /** Failed attempts a second, sustained (default 1). */
  refillPerSecond?: number;
  /** Buckets kept (default 100 000). */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export type AuthFailureReason = "missing" | "malformed" | "unknown_key";
export type ThrottleScope = "peer" | "key_prefix";

export interface AuthThrottleListener {
  onFailure?(reason: AuthFailureReason): void;
  onThrottled?(scope: ThrottleScope): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

export const KEY_PREFIX_CHARS = 8;

/** The first four groups of an IPv6 address (its /64: one host's whole allocation). */
function ipv6Slash64(addr: string): string {
  const [head = "", tail] = addr.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups =
    tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * The address part of a grpc-js peer (`10.0.0.1:5443`, `::1:5443`, `[::1]:5443`,
 * `ipv4:10.0.0.1:5443`): the port dropped, IPv4-mapped IPv6 as IPv4, other IPv6 addresses
 * grouped by /64 (one host can take a whole /64); anything else as it is.
 */
export function peerAddress(peer: string | undefined): string {
  if (!peer) return "unknown";
  let p = peer.replace(/^ipv[46]:/, "");
  const i = p.lastIndexOf(":");
  if (i > 0 && /^\d+$/.test(p.slice(i + 1))) {
    const host = p.slice(0, i).replace(/^\[(.*)\]$/, "$1");
    if (isIP(host)) p = host;
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(p);
  if (mapped) return mapped[1]!;
  return isIP(p) === 6 ? ipv6Slash64(p) : p;
}

export class AuthThrottle {
  readonly burst: number;
  readonly refillPerSecond: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly listeners: AuthThrottleListener[] = [];

  constructor(o: AuthThrottleOptions = {}) {
    this.burst = o.burst ?? 20;
    this.refillPerSecond = o.refillPerSecond ?? 1;
    this.maxEntries = o.maxEntries ?? 100_000;
    this.now = o.now ?? Date.now;
    if (!(this.burst >= 1) || !(this.refillPerSecond > 0) || !(this.maxEntries >= 1))
      throw new RangeError("auth throttle: burst ≥ 1, refillPerSecond > 0, maxEntries ≥ 1");
  }

  listen(l: AuthThrottleListener): void {
    this.listeners.push(l);
  }

  private bucket(key: string): Bucket {
    const t = this.now();
    let b = this.buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.refillPerSecond);
      b.at = t;
      this.buckets.delete(key); // re-inserted: most recently used last
    } else b = { tokens: this.burst, at: t };
    this.buckets.set(key, b);
    while (this.buckets.size > this.maxEntries) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
    return b;
  }

  private static keys(peer: string | undefined, presented: string | undefined) {
    return {
      peer: `p:${peerAddress(peer)}`,
      ...(presented ? { prefix: `k:${presented.slice(0, KEY_PREFIX_CHARS)}` } : {}),
    };
  }

  /** Refuses the attempt when its peer's or key prefix's bucket is empty. */
  check(peer: string | undefined, presented: string | undefined): void {
    const k = AuthThrottle.keys(peer, presented);
    for (const [scope, key] of [
      ["peer", k.peer],
      ["key_prefix", k.prefix],
    ] as const) {
      if (key === undefined) continue;
      const b = this.bucket(key);
      if (b.tokens >= 1) continue;
      for (const l of this.listeners) l.onThrottled?.(scope);
      const wait = Math.ceil((1 - b.tokens) / this.refillPerSecond);
      throw new RpcError(
        grpc.status.RESOURCE_EXHAUSTED,
        `too many failed authentication attempts from this ${scope === "peer" ? "address" : "key prefix"}: retry in ${wait} s`,
        { reason: "ERROR_REASON_QUOTA_EXCEEDED" },
      );
    }
  }

  /** Records a failed attempt: one token from each of its buckets. */
  fail(peer: string | undefined, presented: string | undefined, reason: AuthFailureReason): void {
    const k = AuthThrottle.keys(peer, presented);
    for (const key of [k.peer, k.prefix]) {
      if (key === undefined) continue;
      const b = this.bucket(key);
      b.tokens = Math.max(0, b.tokens - 1);
    }
    for (const l of this.listeners) l.onFailure?.(reason);
  }

  get size(): number {
    return this.buckets.size;
  }
}
