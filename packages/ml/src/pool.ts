/**
 * Ordered, bounded-concurrency mapping: the backbone of streaming decode.
 *
 * At most `concurrency` calls run at once, and at most `lookahead` results (running or done)
 * wait ahead of the consumer, which bounds memory. A finished call frees its slot at once even
 * when an earlier, slower one is still running, so one slow file does not stall the pipeline;
 * results still come out in input order, which keeps batches deterministic.
 */

export type Settled<T, R> = { input: T; ok: true; value: R } | { input: T; ok: false; error: unknown };

export interface OrderedMapOptions {
  concurrency: number;
  /** Default 4 × concurrency. */
  lookahead?: number;
}

export async function* orderedMap<T, R>(
  inputs: Iterable<T>,
  fn: (input: T) => Promise<R>,
  opts: OrderedMapOptions,
): AsyncGenerator<Settled<T, R>> {
  const { concurrency } = opts;
  const lookahead = opts.lookahead ?? 4 * concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  if (!Number.isInteger(lookahead) || lookahead < concurrency)
    throw new RangeError(`lookahead must be an integer ≥ concurrency, got ${lookahead}`);
  const it = inputs[Symbol.iterator]();
  const pending: Array<Promise<Settled<T, R>>> = [];
  let running = 0;
  let exhausted = false;
  let stopped = false;
  const fill = (): void => {
    while (!stopped && !exhausted && running < concurrency && pending.length < lookahead) {
      const next = it.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const input = next.value;
      running++;
      // Settle every promise immediately: a failure waiting in the queue must not surface as
      // an unhandled rejection, and the caller decides whether a failure is fatal.
      pending.push(
        Promise.resolve()
          .then(() => fn(input))
          .then(
            (value) => ({ input, ok: true as const, value }),
            (error: unknown) => ({ input, ok: false as const, error }),
          )
          .finally(() => {
            running--;
            fill();
          }),
      );
    }
  };
  try {
    fill();
    while (pending.length > 0) {
      const result = await pending[0]!;
      pending.shift();
      fill(); // refill before yielding so decoding overlaps the consumer's work
      yield result;
    }
  } finally {
    stopped = true; // a consumer that stops early starts no further work
  }
}
