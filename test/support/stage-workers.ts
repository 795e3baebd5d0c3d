/**
 * The stage side of a cluster in one test process, on its own real nats-server: a control bus that
 * declares the stage consumers (as the coordinator does) and one worker per stage on its own
 * connection, binding only (as the stage processes do), each serving registerStageWorkers
 * over the suite's `wrap` of its bus (what the suite records or slows down).
 */
import { type Bus, FsArtifactStore } from "@adq/platform";
import { connectNats, NatsBus, type NatsConnection } from "@adq/platform/nats";
import { registerStageWorkers } from "@adq/stages";
import { tmp } from "./fs.ts";
import { type NatsServer, startNatsServer } from "./nats-server.ts";
import { useSuiteServer } from "./process.ts";

export interface NatsStageWorkers {
  readonly nats: NatsServer;
  /** The workers' artifact store (a fresh temporary directory): coordinators must use it too. */
  readonly store: FsArtifactStore;
  /** The control plane's bus (it declared the stage consumers). */
  readonly control: NatsBus;
  /** Another connection to the server, closed by `stop()`. */
  connect(name: string): Promise<NatsConnection>;
  /** Has `stop()` run `fn` too, before everything registered earlier. */
  onClose(fn: () => Promise<void>): void;
  /** Closes what was opened or registered, newest first, the connections, then stops the server. */
  stop(): Promise<void>;
}

export async function startNatsStageWorkers(options: {
  stages: readonly string[];
  /** Tasks at once per stage worker. */
  concurrency: number;
  wrap: (bus: Bus) => Bus;
  ackWaitMs?: number;
}): Promise<NatsStageWorkers> {
  const nats = await startNatsServer();
  const store = new FsArtifactStore(tmp("adq-stage-workers-"));
  const ackWaitMs = options.ackWaitMs ?? 60_000;
  const conns: NatsConnection[] = [];
  const closers: Array<() => Promise<void>> = [];
  const connect = async (name: string) => {
    const nc = await connectNats({ servers: nats.url, name });
    conns.push(nc);
    return nc;
  };
  const stop = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    for (const nc of conns) await nc.close().catch(() => {});
    await nats.stop();
  };
  try {
    const control = await NatsBus.connect(await connect("adq-coordinator"), { ackWaitMs });
    closers.push(() => control.close());
    await control.ensureStageConsumers(options.stages);
    for (const stage of options.stages) {
      const bus = await NatsBus.connect(await connect(`adq-worker-${stage}`), {
        declareConsumers: false,
        followOutcomes: false,
        ackWaitMs,
      });
      const w = registerStageWorkers(options.wrap(bus), {
        store,
        stages: [stage],
        concurrency: { [stage]: options.concurrency },
      });
      closers.push(async () => {
        await w.close();
        await bus.close();
      });
    }
    return { nats, store, control, connect, onClose: (fn) => closers.push(fn), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Vitest helper: startNatsStageWorkers for the enclosing suite. Read `server` inside tests and hooks. */
export function useNatsStageWorkers(options: Parameters<typeof startNatsStageWorkers>[0]): {
  readonly server: NatsStageWorkers;
} {
  return useSuiteServer("NATS stage workers", () => startNatsStageWorkers(options), 60_000);
}
