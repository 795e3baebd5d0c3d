/**
 * Ordered, bounded-concurrency mapping: the backbone of streaming decode. At most
 * `concurrency` calls are in flight (so at most that many decoded images wait beyond the
 * batch being assembled), and results come out in input order whatever order they finish in,
 * which keeps batches deterministic.
 */

export type Settled<T, R> = { input: T; ok: true; value: R } | { input: T; ok: false; error: unknown };

export async function* orderedMap<T, R>(
  inputs: Iterable<T>,
  concurrency: number,
  fn: (input: T) => Promise<R>,
): AsyncGenerator<Settled<T, R>> {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  const it = inputs[Symbol.iterator]();
  const window: Array<Promise<Settled<T, R>>> = [];
  const fill = (): void => {
    while (window.length < concurrency) {
      const next = it.next();
      if (next.done) return;
      const input = next.value;
      // Settle every promise immediately: a failure waiting in the window must not surface as
      // an unhandled rejection, and the caller decides whether a failure is fatal.
      window.push(
        Promise.resolve()
          .then(() => fn(input))
          .then(
            (value) => ({ input, ok: true as const, value }),
            (error: unknown) => ({ input, ok: false as const, error }),
          ),
      );
    }
  };
  fill();
  while (window.length > 0) {
    const result = await window.shift()!;
    fill(); // refill before yielding so decoding overlaps the consumer's work
    yield result;
  }
}
