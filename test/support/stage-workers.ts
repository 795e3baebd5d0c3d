/**
 * The stage side of a cluster in one test process, on its own real nats-server: a control bus that
 * declares the stage consumers (as the coordinator does) and one worker per stage on its own
 * connection, binding only (as the stage processes do), each serving registerStageWorkers
 * over the suite's `wrap` of its bus (what the suite records or slows down).
 */
import type { ArtifactStore, Bus } from "@adq/platform";
import { connectNats, NatsBus, type NatsConnection } from "@adq/platform/nats";
import { registerStageWorkers } from "@adq/stages";
import { type NatsServer, startNatsServer } from "./nats-server.ts";

export interface NatsStageWorkers {
  readonly nats: NatsServer;
  /** The control plane's bus (it declared the stage consumers). */
  readonly control: NatsBus;
  /** Another connection to the server, closed by `close()`. */
  connect(name: string): Promise<NatsConnection>;
  /** Has `close()` run `fn` too, before everything registered earlier. */
  onClose(fn: () => Promise<void>): void;
  /** Closes what was opened or registered, newest first, the connections, then stops the server. */
  close(): Promise<void>;
}

export async function startNatsStageWorkers(options: {
  stages: readonly string[];
  store: ArtifactStore;
  /** Tasks at once per stage worker. */
  concurrency: number;
  wrap: (bus: Bus) => Bus;
  ackWaitMs?: number;
}): Promise<NatsStageWorkers> {
  const nats = await startNatsServer();
  const ackWaitMs = options.ackWaitMs ?? 60_000;
  const conns: NatsConnection[] = [];
  const closers: Array<() => Promise<void>> = [];
  const connect = async (name: string) => {
    const nc = await connectNats({ servers: nats.url, name });
    conns.push(nc);
    return nc;
  };
  const close = async () => {
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
        store: options.store,
        stages: [stage],
        concurrency: { [stage]: options.concurrency },
      });
      closers.push(async () => {
        await w.close();
        await bus.close();
      });
    }
    return { nats, control, connect, onClose: (fn) => closers.push(fn), close };
  } catch (e) {
    await close();
    throw e;
  }
}
