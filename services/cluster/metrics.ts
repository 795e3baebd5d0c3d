/**
 * Metrics shared by the cluster processes: NATS connection state and the lag of the
 * JetStream work queues (read from the durable consumers' info at scrape time).
 */
import type { NatsBus } from "@adq/platform/nats";
import type { Registry } from "@adq/service-common";
import type { ClusterPorts } from "./ports.ts";

export function natsMetrics(registry: Registry, ports: ClusterPorts): void {
  const up = registry.gauge("adq_nats_connected", "1 while the NATS connection is up");
  up.set({}, ports.connected ? 1 : 0);
  ports.onStatus((c) => up.set({}, c ? 1 : 0));
}

/**
 * Per queue (stage name or `jobs`): tasks waiting (`num_pending`, the autoscaling signal),
 * delivered but unacknowledged (`num_ack_pending`), and redelivered.
 */
export function queueMetrics(registry: Registry, bus: NatsBus, queues: readonly string[]): void {
  const pending = registry.gauge("adq_queue_pending_tasks", "Tasks waiting in the queue (consumer lag)");
  const ackPending = registry.gauge(
    "adq_queue_ack_pending_tasks",
    "Tasks delivered to a worker and not acknowledged yet",
  );
  const redelivered = registry.gauge(
    "adq_queue_redelivered_tasks",
    "Tasks delivered more than once, now pending",
  );
  registry.collect(async () => {
    await Promise.all(
      queues.map(async (queue) => {
        try {
          const info = await bus.jsm.consumers.info(bus.names.tasksStream, bus.names.consumer(queue));
          pending.set({ queue }, info.num_pending);
          ackPending.set({ queue }, info.num_ack_pending);
          redelivered.set({ queue }, info.num_redelivered);
        } catch {
          // consumer not declared yet, or NATS unreachable: keep the last values
        }
      }),
    );
  });
}
