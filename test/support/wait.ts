/**
 * Polls `check` every `everyMs` until it returns a value other than undefined, and returns that
 * value; after `timeoutMs`, throws "timed out after `timeoutMs` ms waiting for `what`". An error
 * thrown by `check` ends the wait at once (test/k8s/cluster.ts's waitFor retries through errors).
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 20_000, everyMs = 50 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
