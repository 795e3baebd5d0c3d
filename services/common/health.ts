/**
 * `grpc.health.v1.Health` (Check + Watch). The overall server is the service "";
 * each served API registers its full name. Shutdown flips everything to NOT_SERVING
 * first, so load balancers stop routing before connections close.
 */
import * as grpc from "@grpc/grpc-js";
import { healthServiceDefinition } from "./proto.ts";
import type { HealthStatus } from "./types.ts";

interface CheckRequest {
  service: string;
}

export class HealthService {
  private readonly statuses = new Map<string, HealthStatus>();
  private readonly watchers = new Map<string, Set<(s: HealthStatus) => void>>();
  private readonly streams = new Set<grpc.ServerWritableStream<CheckRequest, unknown>>();

  constructor(services: string[] = []) {
    this.set("", "NOT_SERVING");
    for (const s of services) this.set(s, "NOT_SERVING");
  }

  set(service: string, status: HealthStatus): void {
    this.statuses.set(service, status);
    for (const w of this.watchers.get(service) ?? []) w(status);
  }

  /** Sets every known service (the server included). */
  setAll(status: HealthStatus): void {
    for (const s of [...this.statuses.keys()]) this.set(s, status);
  }

  get(service: string): HealthStatus | undefined {
    return this.statuses.get(service);
  }

  addTo(server: grpc.Server): void {
    server.addService(healthServiceDefinition(), this.implementation());
  }

  implementation(): grpc.UntypedServiceImplementation {
    return {
      Check: (
        call: grpc.ServerUnaryCall<CheckRequest, { status: HealthStatus }>,
        cb: grpc.sendUnaryData<{ status: HealthStatus }>,
      ) => {
        const status = this.statuses.get(call.request.service ?? "");
        if (status === undefined) {
          cb({
            code: grpc.status.NOT_FOUND,
            details: `unknown service ${JSON.stringify(call.request.service)}`,
          });
          return;
        }
        cb(null, { status });
      },
      Watch: (call: grpc.ServerWritableStream<CheckRequest, { status: HealthStatus }>) => {
        const service = call.request.service ?? "";
        const send = (status: HealthStatus) => {
          if (!call.cancelled && !call.writableEnded) call.write({ status });
        };
        send(this.statuses.get(service) ?? "SERVICE_UNKNOWN");
        let set = this.watchers.get(service);
        if (!set) {
          set = new Set();
          this.watchers.set(service, set);
        }
        set.add(send);
        this.streams.add(call);
        const stop = () => {
          set.delete(send);
          this.streams.delete(call);
        };
        call.on("cancelled", stop);
        call.on("close", stop);
      },
    };
  }

  /** Ends every Watch stream (shutdown: lets tryShutdown finish without waiting for them). */
  closeWatchers(): void {
    this.watchers.clear();
    for (const call of this.streams) if (!call.writableEnded) call.end();
    this.streams.clear();
  }
}
