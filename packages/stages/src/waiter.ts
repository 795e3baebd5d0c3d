/**
 * A wait for a grant that its caller may give up: the fair-share gates (fair-share.ts,
 * shared-fair-share.ts) and the gateway's job admission queue a Waiter, and later grant it (or
 * fail it); when `signal` aborts first, the waiter leaves its queue and the wait rejects with
 * the abort's reason.
 */
export interface Waiter<T> {
  grant(value: T): void;
  fail(e: unknown): void;
}

/**
 * Makes the waiter (`extra`'s fields plus grant and fail), hands it to `enqueue`, and resolves
 * with what it is granted. `dequeue` takes it out of its queue again on abort. The caller checks
 * `signal.aborted` before: an aborted signal fires no event.
 */
export function abortableWait<T, X extends object = object>(
  signal: AbortSignal | undefined,
  extra: X,
  enqueue: (w: X & Waiter<T>) => void,
  dequeue: (w: X & Waiter<T>) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      dequeue(waiter);
      reject(signal?.reason ?? new Error("aborted"));
    };
    const waiter: X & Waiter<T> = {
      ...extra,
      grant: (value: T) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      },
      fail: (e: unknown) => {
        signal?.removeEventListener("abort", onAbort);
        reject(e);
      },
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    enqueue(waiter);
  });
}

/** Removes `item` from `list` when it is there. O(n). */
export function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
