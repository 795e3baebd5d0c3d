/**
 * `grpc.health.v1.Health` (Check, Watch, List) from the maintained `grpc-health-check`
 * package. The overall server is the service ""; each served API registers its full name.
 * Shutdown flips everything to NOT_SERVING first, so load balancers stop routing before
 * connections close; what this wrapper adds is ending the open Watch streams then (the
 * package leaves them open, which would hold a graceful shutdown until its deadline).
 */
import type * as grpc from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";

/** `grpc.health.v1.HealthCheckResponse.ServingStatus` as the maintained package names it. */
export type HealthStatus = ServingStatus;

type WatchCall = grpc.ServerWritableStream<unknown, unknown>;

export class HealthService {
  private readonly statuses = new Map<string, HealthStatus>();
  private readonly impl = new HealthImplementation();
  private readonly streams = new Set<WatchCall>();

  constructor(services: string[] = []) {
    this.set("", "NOT_SERVING");
    for (const s of services) this.set(s, "NOT_SERVING");
  }

  set(service: string, status: HealthStatus): void {
    this.statuses.set(service, status);
    this.impl.setStatus(service, status);
  }

  /** Sets every known service (the server included). */
  setAll(status: HealthStatus): void {
    for (const s of [...this.statuses.keys()]) this.set(s, status);
  }

  get(service: string): HealthStatus | undefined {
    return this.statuses.get(service);
  }

  addTo(server: grpc.Server): void {
    this.impl.addToServer({
      addService: (service, implementation) => {
        const handlers = implementation as Record<string, (call: WatchCall) => void>;
        const watch = handlers.watch!;
        server.addService(service, {
          ...implementation,
          watch: (call: WatchCall) => {
            // The package writes on every status change, also after we ended the stream.
            const write = call.write.bind(call);
            call.write = ((msg: unknown) =>
              call.writableEnded || call.cancelled ? false : write(msg)) as typeof call.write;
            this.streams.add(call);
            const forget = () => this.streams.delete(call);
            call.on("cancelled", forget);
            call.on("close", forget);
            watch(call);
          },
        });
      },
    });
  }

  /** Ends every Watch stream (shutdown: lets tryShutdown finish without waiting for them). */
  closeWatchers(): void {
    for (const call of this.streams) if (!call.writableEnded) call.end();
    this.streams.clear();
  }
}
