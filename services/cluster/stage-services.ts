/**
 * The per-stage gRPC services of a stage process (proto/adq/v1/{features,binning,scoring,
 * sampling}.proto). Each stage process serves `grpc.health.v1` for the server ("") and for
 * its stage service, so orchestrators can probe it. BinningService.BinClass and
 * ScoringService.ScoreBin run the stage handlers directly (stage-rpc.ts); the other stage
 * RPCs answer UNIMPLEMENTED for now: their messages (per-kind FeatureArtifacts, tenant-scoped
 * ArtifactRefs under `jobs/{job}/{stage}/{task}`) differ from the internal task payloads
 * (packages/stages/src/tasks.ts: content-addressed `cache/` prefixes), and mapping them is
 * its own piece of work. In cluster mode the stages take their work from the NATS
 * work queues instead.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ArtifactStore } from "#platform";
import { toRpcError, toServiceError } from "../common/errors.ts";
import { Logger } from "../common/log.ts";
import { LOADER_OPTIONS } from "../common/proto.ts";
import { binClass, scoreBin } from "./stage-rpc.ts";

/** What the implemented stage methods need (absent: every method answers UNIMPLEMENTED). */
export interface StageServiceDeps {
  store: ArtifactStore;
  log?: Logger;
}

type Impl = (store: ArtifactStore, req: never) => Promise<unknown>;
/** Methods mapped onto the stage handlers (services/cluster/stage-rpc.ts). */
const IMPLEMENTED: Record<string, Impl> = {
  "BinningService/BinClass": binClass as Impl,
  "ScoringService/ScoreBin": scoreBin as Impl,
};

export const STAGE_NAMES = ["features", "binning", "scoring", "sampling", "assemble"] as const;
export type StageProcessName = (typeof STAGE_NAMES)[number];

/** The public stage service of each stage (assemble has none: it is internal). */
export const STAGE_SERVICE: Record<StageProcessName, { proto: string; service: string } | null> = {
  features: { proto: "adq/v1/features.proto", service: "FeatureService" },
  binning: { proto: "adq/v1/binning.proto", service: "BinningService" },
  scoring: { proto: "adq/v1/scoring.proto", service: "ScoringService" },
  sampling: { proto: "adq/v1/sampling.proto", service: "SamplingService" },
  assemble: null,
};

let loaded: Record<string, grpc.ServiceClientConstructor> | undefined;
let definition: protoLoader.PackageDefinition | undefined;

/** The package definition of the stage protos (server reflection). */
export function stagePackageDefinition(): protoLoader.PackageDefinition {
  stageClients();
  return definition!;
}

function stageClients(): Record<string, grpc.ServiceClientConstructor> {
  if (loaded) return loaded;
  const def = protoLoader.loadSync(
    Object.values(STAGE_SERVICE)
      .filter((s) => s !== null)
      .map((s) => s.proto),
    LOADER_OPTIONS,
  );
  definition = def;
  const v1 = (grpc.loadPackageDefinition(def) as unknown as { adq: { v1: Record<string, unknown> } }).adq.v1;
  loaded = {};
  for (const s of Object.values(STAGE_SERVICE))
    if (s) loaded[s.service] = v1[s.service] as grpc.ServiceClientConstructor;
  return loaded;
}

/** Full name (`adq.v1.FeatureService`) of a stage's gRPC service, or null. */
export function stageServiceName(stage: StageProcessName): string | null {
  const s = STAGE_SERVICE[stage];
  return s ? `adq.v1.${s.service}` : null;
}

/** Client constructor of a stage's service (tests, tools). */
export function stageClientConstructor(stage: StageProcessName): grpc.ServiceClientConstructor | null {
  const s = STAGE_SERVICE[stage];
  return s ? stageClients()[s.service]! : null;
}

/** Adds the stage's gRPC service; every method answers UNIMPLEMENTED with a pointer to the queue. */
export function addStageService(
  server: grpc.Server,
  stage: StageProcessName,
  queue: string,
  deps?: StageServiceDeps,
): boolean {
  const s = STAGE_SERVICE[stage];
  if (!s) return false;
  const ctor = stageClients()[s.service]!;
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, def] of Object.entries(ctor.service)) {
    const message = `adq.v1.${s.service}/${method} is not implemented yet: in cluster mode the ${stage} stage takes its work from the NATS work queue (${queue})`;
    const fail = { code: grpc.status.UNIMPLEMENTED, details: message };
    const fn = IMPLEMENTED[`${s.service}/${method}`];
    if (deps && fn) {
      const log = deps.log ?? new Logger();
      impl[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        fn(deps.store, call.request as never).then(
          (res) => cb(null, res),
          (e) => cb(toServiceError(toRpcError(e, log.child({ method: `${s.service}/${method}` })))),
        );
      };
      continue;
    }
    if (!def.requestStream && !def.responseStream) {
      impl[method] = (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        cb(fail);
    } else if (!def.requestStream) {
      impl[method] = (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit("error", fail);
    } else if (!def.responseStream) {
      impl[method] = (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        call.on("data", () => {});
        cb(fail);
      };
    } else {
      impl[method] = (call: grpc.ServerDuplexStream<unknown, unknown>) => call.emit("error", fail);
    }
  }
  server.addService(ctor.service, impl);
  return true;
}
