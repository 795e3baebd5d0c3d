/**
 * Fair share across every coordinator of a cluster (README "How work is shared between
 * tenants"): the same per-tenant, per-stage windows as fair-share.ts, but counted in shared
 * state, so a tenant whose jobs run on N coordinators still gets one window, not N.
 *
 * State: one record per (tenant, stage) in a compare-and-set store (the cluster gives it a
 * NATS KV bucket, `<ns>-fair-share`), holding the live *leases* — one per task published and
 * not yet ended, `{ id, owner, until }`. A coordinator takes a slot by adding a lease with a
 * compare-and-set on the record's revision (a conflict re-reads and retries), and gives it
 * back by removing it the same way. Leases expire: each coordinator renews its own every
 * `ttlMs / 3`, and a coordinator that dies stops renewing, so its leases lapse after at most
 * `ttlMs` and whoever reads the record next prunes them (the cluster sets `ttlMs` to the ack
 * wait: by then that coordinator's jobs are redelivered elsewhere anyway). Like the job
 * claims, expiry compares wall clocks of different processes: they must agree to well under
 * `ttlMs` (NTP).
 *
 * Waiting: a coordinator's own waiters for one record queue FIFO behind one pump, which takes
 * as many slots as are free in one write; it is woken by its own releases at once and polls
 * every `pollMs` (or at the next lease expiry, if sooner) for slots freed by other
 * coordinators. Costs: acquire and release are one read and one write each without
 * contention (O(window) to rewrite the record); renewal is one write per record this process
 * holds leases in, per `ttlMs / 3`.
 */

import { randomBytes } from "node:crypto";
import { ConflictError, type JobStore } from "@adq/platform";
import { type FairShareOptions, type TaskGate, windowLimits } from "./fair-share.ts";
import { abortableWait, type Waiter as BaseWaiter, removeFrom } from "./waiter.ts";

export interface Lease {
  id: string;
  /** The coordinator holding it. */
  owner: string;
  /** Expiry, ms since the epoch. */
  until: number;
}

/** One (tenant, stage) window: `id` is `<tenant>.<stage>` (a valid KV key: tenant ids are `[A-Za-z0-9._-]`). */
export interface LeaseRecord {
  id: string;
  leases: Lease[];
}

export interface SharedFairShareOptions extends FairShareOptions {
  store: JobStore<LeaseRecord>;
  /** This coordinator's name (unique in the cluster). */
  owner: string;
  /** How long a lease holds without renewal (≥ 30 ms). */
  ttlMs: number;
  /** How often a full window is re-read for slots other coordinators freed (default 100 ms). */
  pollMs?: number;
  now?: () => number;
  /** Store errors (renewal, release): logged, then retried by the next renewal or expiry. */
  onError?: (what: string, e: unknown) => void;
}

type Waiter = BaseWaiter<() => void>;

interface Slot {
  readonly tenant: string;
  readonly stage: string;
  readonly waiters: Waiter[];
  /** Lease ids this process holds in the record. */
  readonly held: Set<string>;
  pumping: boolean;
  wake: (() => void) | undefined;
}

const sleep = (ms: number, slot: Slot) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      slot.wake = undefined;
      resolve();
    }
    slot.wake = done;
  });

export class SharedFairShare {
  private readonly slots = new Map<string, Slot>();
  private readonly limitOf: (stage: string) => number;
  private readonly now: () => number;
  private readonly pollMs: number;
  private renewer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: SharedFairShareOptions) {
    this.limitOf = windowLimits(o);
    if (!(o.ttlMs >= 30)) throw new RangeError(`ttlMs must be ≥ 30, got ${o.ttlMs}`);
    this.now = o.now ?? Date.now;
    this.pollMs = o.pollMs ?? 100;
  }

  /** The gate of one tenant's jobs. */
  gate(tenant: string): TaskGate {
    return (stage, signal) => this.acquire(tenant, stage, signal);
  }

  /** Live leases of `tenant` on `stage`, cluster-wide (tests, metrics). */
  async outstanding(tenant: string, stage: string): Promise<number> {
    const v = await this.o.store.get(`${tenant}.${stage}`);
    const now = this.now();
    return v ? v.value.leases.filter((l) => l.until > now).length : 0;
  }

  /** Rejects the waiters, stops renewing and gives back every lease this process holds (best effort). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.renewer) clearInterval(this.renewer);
    this.renewer = undefined;
    const all = [...this.slots.values()];
    for (const s of all) {
      for (const w of s.waiters.splice(0)) w.fail(new Error("fair share closed"));
      s.wake?.();
    }
    await Promise.all(
      all
        .filter((s) => s.held.size > 0)
        .map((s) => this.rewrite(s, (ls) => ls.filter((l) => !s.held.has(l.id))).catch(() => {})),
    );
  }

  private slot(tenant: string, stage: string): Slot {
    const key = `${tenant}.${stage}`;
    let s = this.slots.get(key);
    if (!s) {
      s = { tenant, stage, waiters: [], held: new Set(), pumping: false, wake: undefined };
      this.slots.set(key, s);
    }
    return s;
  }

  private forget(s: Slot): void {
    // Bounded memory: a record this process neither holds nor waits on leaves no entry.
    if (!s.pumping && s.waiters.length === 0 && s.held.size === 0)
      this.slots.delete(`${s.tenant}.${s.stage}`);
  }

  private acquire(tenant: string, stage: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    if (this.closed) return Promise.reject(new Error("fair share closed"));
    const s = this.slot(tenant, stage);
    return abortableWait<() => void>(
      signal,
      {},
      (waiter) => {
        s.waiters.push(waiter);
        void this.pump(s);
      },
      (waiter) => removeFrom(s.waiters, waiter),
    );
  }

  /** Takes slots for this process's waiters of one record, FIFO, until none wait. */
  private async pump(s: Slot): Promise<void> {
    if (s.pumping) return;
    s.pumping = true;
    try {
      while (s.waiters.length > 0 && !this.closed) {
        let taken: Lease[] = [];
        let nextExpiry = Infinity;
        try {
          await this.rewrite(s, (leases) => {
            const now = this.now();
            const live = leases.filter((l) => l.until > now); // a dead coordinator's leases lapse here
            const free = Math.min(this.limitOf(s.stage) - live.length, s.waiters.length);
            taken = [];
            for (let i = 0; i < free; i++)
              taken.push({
                id: randomBytes(6).toString("hex"),
                owner: this.o.owner,
                until: now + this.o.ttlMs,
              });
            nextExpiry = Math.min(...live.map((l) => l.until));
            return taken.length === 0 && live.length === leases.length ? undefined : [...live, ...taken];
          });
        } catch (e) {
          this.o.onError?.("fair_share_acquire_failed", e);
          taken = [];
        }
        for (const l of taken) {
          const w = s.waiters.shift();
          s.held.add(l.id);
          this.renewSoon();
          if (w) w.grant(this.releaser(s, l.id));
          else void this.release(s, l.id); // the waiter left (aborted) meanwhile
        }
        if (s.waiters.length > 0 && taken.length === 0)
          await sleep(Math.max(1, Math.min(this.pollMs, nextExpiry - this.now())), s);
      }
    } finally {
      s.pumping = false;
      this.forget(s);
    }
  }

  private releaser(s: Slot, id: string): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      void this.release(s, id);
    };
  }

  private async release(s: Slot, id: string): Promise<void> {
    try {
      await this.rewrite(s, (leases) =>
        leases.some((l) => l.id === id) ? leases.filter((l) => l.id !== id) : undefined,
      );
    } catch (e) {
      this.o.onError?.("fair_share_release_failed", e); // the lease lapses after ttlMs
    }
    s.held.delete(id);
    s.wake?.(); // our own waiters may take the slot at once
    if (s.waiters.length > 0) void this.pump(s);
    this.forget(s);
  }

  /**
   * Read-modify-write of one record by compare-and-set, retried on conflict. `change` returns
   * the new lease list, or undefined to leave the record as it is.
   */
  private async rewrite(s: Slot, change: (leases: Lease[]) => Lease[] | undefined): Promise<void> {
    const id = `${s.tenant}.${s.stage}`;
    for (;;) {
      const cur = await this.o.store.get(id);
      const next = change(cur?.value.leases ?? []);
      if (!next) return;
      try {
        if (cur) await this.o.store.update({ id, leases: next }, cur.revision);
        else await this.o.store.create({ id, leases: next });
        return;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e; // another coordinator wrote first: read again
      }
    }
  }

  /** Renews this process's leases every ttlMs / 3 while it holds any. */
  private renewSoon(): void {
    if (this.renewer || this.closed) return;
    this.renewer = setInterval(() => void this.renew(), this.o.ttlMs / 3);
    this.renewer.unref?.();
  }

  private async renew(): Promise<void> {
    const held = [...this.slots.values()].filter((s) => s.held.size > 0);
    if (held.length === 0 && this.renewer) {
      clearInterval(this.renewer);
      this.renewer = undefined;
      return;
    }
    await Promise.all(
      held.map((s) =>
        this.rewrite(s, (leases) => {
          const until = this.now() + this.o.ttlMs;
          return leases.map((l) => (s.held.has(l.id) ? { ...l, until } : l));
        }).catch((e) => this.o.onError?.("fair_share_renew_failed", e)),
      ),
    );
  }
}
