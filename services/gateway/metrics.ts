/** Gateway and coordinator metrics: gRPC calls and jobs (see services/common/metrics.ts). */
import type { ApiKeyAuthenticator, Registry } from "@adq/service-common";
import type { JobRunner } from "./runner.ts";

export interface GatewayMetrics {
  onRpc(method: string, code: string, ms: number): void;
  onJobEnd(state: "SUCCEEDED" | "FAILED" | "CANCELLED", ms: number, tenant: string): void;
  /** Reports the runner's running jobs at every scrape. */
  trackRunner(runner: () => JobRunner | undefined): void;
  /** Counts failed and throttled authentication attempts (services/common/auth-throttle.ts). */
  trackAuth(auth: ApiKeyAuthenticator): void;
}

export function gatewayMetrics(registry: Registry): GatewayMetrics {
  const rpcs = registry.counter("adq_rpc_total", "gRPC calls by method and status code");
  const rpcSeconds = registry.histogram("adq_rpc_duration_seconds", "gRPC call durations by method");
  const jobs = registry.counter("adq_jobs_total", "Jobs ended by this coordinator, by final state");
  const jobSeconds = registry.histogram(
    "adq_job_duration_seconds",
    "Wall time of jobs run by this coordinator",
  );
  const running = registry.gauge("adq_jobs_running", "Jobs this coordinator runs now");
  return {
    onRpc(method, code, ms) {
      rpcs.inc({ method, code });
      rpcSeconds.observe({ method }, ms / 1000);
    },
    onJobEnd(state, ms, tenant) {
      // tenant: one series per API key's tenant (bounded by the key file)
      jobs.inc({ state: state.toLowerCase(), tenant });
      if (ms > 0) jobSeconds.observe({ state: state.toLowerCase(), tenant }, ms / 1000);
    },
    trackRunner(runner) {
      registry.collect(() => running.set({}, runner()?.running.length ?? 0));
    },
    trackAuth(auth) {
      const failures = registry.counter(
        "adq_auth_failures_total",
        "Failed authentication attempts by reason (missing, malformed, unknown_key)",
      );
      const throttled = registry.counter(
        "adq_auth_throttled_total",
        "Calls refused by the failed-authentication throttle, by scope (peer, key_prefix)",
      );
      auth.throttle.listen({
        onFailure: (reason) => failures.inc({ reason }),
        onThrottled: (scope) => throttled.inc({ scope }),
      });
    },
  };
}
