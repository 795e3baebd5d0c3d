/**
 * Retry helpers shared by the bus (publishing) and its stage workers (pulling): which
 * errors a retry can cure, an abortable sleep for the backoff, and an error's text for logs
 * and outcomes.
 */
import { JetStreamApiError } from "@nats-io/jetstream";

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Errors a retry can cure: timeouts, no responders (JetStream not ready), disconnections. */
export function isTransient(e: unknown): boolean {
  if (e instanceof JetStreamApiError) return e.status === 503 || e.status === 408;
  const name = e instanceof Error ? e.name : "";
  const msg = errorMessage(e).toLowerCase();
  return (
    name === "TimeoutError" ||
    name === "NoRespondersError" ||
    name === "RequestError" ||
    name === "ConnectionError" ||
    /timeout|no responders|disconnect|connection|503/.test(msg)
  );
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: the caller re-checks its state). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
