/**
 * WatchJob: a snapshot (or the events after after_sequence), then every event as the job
 * record gets it (bus events wake the stream; the record is re-read at least every
 * watchPollMs), heartbeats, and the terminal event; UNAVAILABLE at shutdown (resume with
 * after_sequence).
 */

import type { CallContext, Tenant } from "@adq/service-common";
import { notFound, RpcError } from "@adq/service-common";
import type { JobEvent, WatchJobRequest__Output as WatchJobRequest } from "@adq/service-common/proto";
import * as grpc from "@grpc/grpc-js";
import { eventToProto, snapshotEvent, terminalToProto, ts } from "./convert.ts";
import type { GatewayCore } from "./core.ts";
import { TERMINAL_STATES } from "./records.ts";

export async function watchJob(
  g: GatewayCore,

  req: WatchJobRequest,
  write: (e: JobEvent) => Promise<void>,
  ctx: CallContext<Tenant>,
): Promise<void> {
  ctx.annotate({ job_id: req.jobId });
  let rec = await g.owned(ctx.principal, req.jobId);
  const pollMs = g.o.watchPollMs ?? 1000;
  const heartbeatMs = g.o.heartbeatMs ?? 15_000;
  let pending = false;
  let wake: () => void = () => {};
  const unsubscribe = g.o.bus.subscribeEvents(rec.id, () => {
    pending = true;
    wake();
  });
  const onAbort = () => wake();
  ctx.signal.addEventListener("abort", onAbort);
  g.watchers.add(onAbort);
  try {
    let last = Number(req.afterSequence ?? 0);
    const oldest = rec.events[0]?.seq ?? rec.eventSequence + 1;
    if (last === 0 || last > rec.eventSequence || oldest > last + 1) {
      await write(snapshotEvent(rec, g.now()));
      last = rec.eventSequence;
    }
    let lastSent = g.now();
    for (;;) {
      for (const ev of rec.events) {
        if (ev.seq <= last) continue;
        await write(eventToProto(rec, ev));
        last = ev.seq;
        lastSent = g.now();
        if (ev.kind === "terminal") return;
      }
      if (TERMINAL_STATES.has(rec.state)) {
        // Resumed after the end, or the snapshot already covered it: the terminal event closes.
        const t = [...rec.events].reverse().find((e) => e.kind === "terminal");
        await write({
          sequence: t?.seq ?? rec.eventSequence,
          time: ts(t?.time ?? rec.endTime),
          jobId: rec.id,
          terminal: terminalToProto(rec, t?.kind === "terminal" ? t : undefined),
        });
        return;
      }
      if (g.draining)
        throw new RpcError(
          grpc.status.UNAVAILABLE,
          `server is shutting down; resume the watch with after_sequence=${last}`,
        );
      if (!pending) {
        const waitMs = Math.max(1, Math.min(pollMs, heartbeatMs - (g.now() - lastSent)));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = () => {};
      }
      pending = false;
      if (ctx.signal.aborted) return;
      const cur = await g.o.jobs.get(rec.id);
      if (!cur) throw notFound(`job ${rec.id} was deleted`);
      rec = cur.value;
      if (g.now() - lastSent >= heartbeatMs && !rec.events.some((e) => e.seq > last)) {
        await write({ sequence: last, time: ts(g.now()), jobId: rec.id, heartbeat: {} });
        lastSent = g.now();
      }
    }
  } finally {
    unsubscribe();
    g.watchers.delete(onAbort);
    ctx.signal.removeEventListener("abort", onAbort);
  }
}
