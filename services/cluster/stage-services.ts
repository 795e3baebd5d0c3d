/**
 * The per-stage gRPC services of a stage process (proto/adq/v1/{features,binning,scoring,
 * sampling}.proto): every method runs the code the stage's NATS worker runs
 * (services/cluster/stage-rpc/), over the process's ArtifactStore. Each stage process also
 * serves `grpc.health.v1` for the server ("") and for its stage service.
 *
 * Tenancy: with an authenticator, every call needs `authorization: Bearer <api key>` and
 * sees only its tenant's namespace `tenants/{tenant}/` of the store (ArtifactRef keys are
 * relative to it, proto/adq/v1/common.proto); without one (a trusted internal network),
 * keys name the whole store.
 */

import { type ArtifactStore, PrefixedArtifactStore } from "@adq/platform";
import type { ApiKeyAuthenticator, Tenant } from "@adq/service-common";
import { LOADER_OPTIONS, Logger, unaryHandler } from "@adq/service-common";
import type {
  BinningServiceHandlers,
  FeatureServiceHandlers,
  SamplingServiceHandlers,
  ScoringServiceHandlers,
} from "@adq/service-common/proto";
import { DEFAULT_PARAMS, ModelCache } from "@adq/stages";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { binClass } from "./stage-rpc/binning.ts";
import type { StageRpcContext, StageRpcEnv } from "./stage-rpc/context.ts";
import { extractFeatures } from "./stage-rpc/features.ts";
import { reconstruct } from "./stage-rpc/reconstruct.ts";
import { allocate, dropPatches, sampleClass } from "./stage-rpc/sampling.ts";
import { scoreBin } from "./stage-rpc/scoring.ts";

export interface StageServiceDeps {
  store: ArtifactStore;
  log?: Logger;
  /** Callers' API keys → tenants; absent: trusted callers see the whole store. */
  auth?: ApiKeyAuthenticator;
  /** Data/model roots and model sessions; unset parts: no data roots, no default models. */
  env?: Partial<StageRpcEnv>;
}

/** A stage RPC: (context, request as received) → response. Every request names its task. */
type StageRpc<Req extends StageRequest, Res> = (ctx: StageRpcContext, req: Req) => Promise<Res>;
type StageRequest = { task: { jobId?: string; taskKey?: string } | null };
/** Serves one stage RPC as a gRPC unary handler. */
type Serve = <Req extends StageRequest, Res>(
  method: string,
  fn: StageRpc<Req, Res>,
) => grpc.handleUnaryCall<Req, Res>;

/**
 * Every stage RPC as its gRPC handler, checked against the generated service definitions (a
 * proto change that breaks one fails to compile).
 */
function servedRpcs(serve: Serve) {
  return {
    FeatureService: {
      ExtractFeatures: serve("FeatureService/ExtractFeatures", extractFeatures),
    } satisfies Partial<FeatureServiceHandlers>,
    BinningService: {
      BinClass: serve("BinningService/BinClass", binClass),
    } satisfies Partial<BinningServiceHandlers>,
    ScoringService: {
      ScoreBin: serve("ScoringService/ScoreBin", scoreBin),
    } satisfies Partial<ScoringServiceHandlers>,
    SamplingService: {
      Allocate: serve("SamplingService/Allocate", allocate),
      SampleClass: serve("SamplingService/SampleClass", sampleClass),
      DropPatches: serve("SamplingService/DropPatches", dropPatches),
      Reconstruct: serve("SamplingService/Reconstruct", reconstruct),
    } satisfies Partial<SamplingServiceHandlers>,
  };
}
type StageServiceName = keyof ReturnType<typeof servedRpcs>;

/** Fills the unset parts of a stage RPC environment. */
export function stageRpcEnv(env: Partial<StageRpcEnv> = {}): StageRpcEnv {
  const none = { defaultModel: null, builtin: {}, roots: [] };
  return {
    dataRoots: env.dataRoots ?? [],
    models: env.models ?? none,
    maes: env.maes ?? none,
    modelCache: env.modelCache ?? new ModelCache(),
    defaultTextureL: env.defaultTextureL ?? DEFAULT_PARAMS.textureL,
  };
}

export const STAGE_NAMES = ["features", "binning", "scoring", "sampling", "assemble"] as const;
export type StageProcessName = (typeof STAGE_NAMES)[number];

/** The public stage service of each stage (assemble has none: it is internal). */
export const STAGE_SERVICE: Record<StageProcessName, { proto: string; service: StageServiceName } | null> = {
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

/** Serves stage RPCs over `deps`: each call authenticated (when there is an authenticator), confined to its tenant's namespace. */
function stageRpcServer(deps: StageServiceDeps): Serve {
  const env = stageRpcEnv(deps.env);
  const log = deps.log ?? new Logger();
  const auth = deps.auth;
  return <Req extends StageRequest, Res>(method: string, fn: StageRpc<Req, Res>) =>
    unaryHandler<Tenant | null, Req, Res>(
      method,
      {
        log,
        authenticate: (md, peer) => (auth ? auth.authenticate(md, peer) : null),
        describe: (t) => (t ? { tenant: t.id } : {}),
      },
      (req, ctx) => {
        ctx.annotate({ job_id: req.task?.jobId, task_key: req.task?.taskKey });
        const store = ctx.principal
          ? new PrefixedArtifactStore(deps.store, `tenants/${ctx.principal.id}`)
          : deps.store;
        return fn({ store, env, signal: ctx.signal }, req);
      },
    );
}

/** Adds the stage's gRPC service: the stage RPCs with `deps`, else UNIMPLEMENTED pointing at the queue. */
export function addStageService(
  server: grpc.Server,
  stage: StageProcessName,
  queue: string,
  deps?: StageServiceDeps,
): boolean {
  const s = STAGE_SERVICE[stage];
  if (!s) return false;
  const ctor = stageClients()[s.service]!;
  const served: Record<string, grpc.UntypedHandleCall> = deps
    ? servedRpcs(stageRpcServer(deps))[s.service]
    : {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, def] of Object.entries(ctor.service)) {
    const handler = served[method];
    if (handler) {
      impl[method] = handler;
      continue;
    }
    const message = `adq.v1.${s.service}/${method} is not served by this process: in cluster mode the ${stage} stage takes its work from the NATS work queue (${queue})`;
    const fail = { code: grpc.status.UNIMPLEMENTED, details: message };
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
