/**
 * Fair admission of queued jobs between tenants (README "How work is shared between tenants").
 *
 * The `jobs` queue is FIFO: admitting in queue order lets tenant A's 20 queued jobs hold every
 * run slot until the last of them has started, ahead of tenant B's first job. A coordinator
 * therefore holds a few more job messages than it runs (its look-ahead, heartbeated so they
 * are not redelivered) and, whenever a run slot frees, admits among the jobs it holds the one
 * whose tenant has the fewest jobs running here; ties go to the tenant admitted least
 * recently, then to the job that arrived first. A tenant's own jobs keep their order.
 *
 * Pure (no I/O): the runner feeds it. Admit is O(1) with a free slot; each grant is
 * O(tenants waiting).
 */
import { abortableWait, type Waiter as BaseWaiter, removeFrom } from "@adq/stages";

type Waiter = { readonly tenant: string; readonly seq: number } & BaseWaiter<() => void>;

export class JobAdmission {
  private readonly queues = new Map<string, Waiter[]>();
  private readonly runningBy = new Map<string, number>();
  /** Sequence number of each tenant's last admission (round-robin among equals). */
  private readonly lastAdmitted = new Map<string, number>();
  private runningNow = 0;
  private seq = 0;
  private closed: unknown;

  constructor(readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1)
      throw new RangeError(`slots must be an integer ≥ 1, got ${slots}`);
  }

  /** Waits for a run slot for one of `tenant`'s jobs; resolves to its release (idempotent). */
  admit(tenant: string, signal?: AbortSignal): Promise<() => void> {
    if (this.closed !== undefined) return Promise.reject(this.closed);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    return abortableWait<() => void, { tenant: string; seq: number }>(
      signal,
      { tenant, seq: this.seq++ },
      (waiter) => {
        const q = this.queues.get(tenant);
        if (q) q.push(waiter);
        else this.queues.set(tenant, [waiter]);
        this.dispatch();
      },
      (waiter) => {
        const q = this.queues.get(tenant);
        if (!q) return;
        removeFrom(q, waiter);
        if (q.length === 0) this.queues.delete(tenant);
      },
    );
  }

  /** Jobs of `tenant` running now (tests, metrics). */
  running(tenant: string): number {
    return this.runningBy.get(tenant) ?? 0;
  }

  /** Jobs held, waiting for a slot. */
  get waiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Rejects every waiting admission with `reason` (shutdown: their messages go back to the queue). */
  close(reason: unknown): void {
    this.closed = reason;
    const all = [...this.queues.values()].flat();
    this.queues.clear();
    for (const w of all) w.fail(reason);
  }

  private dispatch(): void {
    while (this.runningNow < this.slots && this.queues.size > 0) {
      const w = this.next();
      const q = this.queues.get(w.tenant)!;
      q.shift();
      if (q.length === 0) this.queues.delete(w.tenant);
      this.runningNow++;
      this.runningBy.set(w.tenant, this.running(w.tenant) + 1);
      this.lastAdmitted.set(w.tenant, this.seq++);
      let released = false;
      w.grant(() => {
        if (released) return;
        released = true;
        this.runningNow--;
        const r = this.running(w.tenant) - 1;
        if (r > 0) this.runningBy.set(w.tenant, r);
        else this.runningBy.delete(w.tenant);
        this.dispatch();
      });
    }
    // Bounded memory: forget the round-robin position of tenants with nothing here.
    if (this.queues.size === 0 && this.runningNow === 0) this.lastAdmitted.clear();
  }

  /** The head of the fairest tenant's queue. */
  private next(): Waiter {
    let best: Waiter | undefined;
    let bestKey: [number, number, number] = [Infinity, Infinity, Infinity];
    for (const [tenant, q] of this.queues) {
      const head = q[0]!;
      const key: [number, number, number] = [
        this.running(tenant),
        this.lastAdmitted.get(tenant) ?? -1,
        head.seq,
      ];
      if (
        key[0] < bestKey[0] ||
        (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))
      ) {
        best = head;
        bestKey = key;
      }
    }
    return best!;
  }
}
