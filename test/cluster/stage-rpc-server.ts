// The stage gRPC services of the stage-RPC tests, on a free local port, with a client per stage.

import { DEFAULT_MAE, DEFAULT_MODEL } from "@adq/cli";
import { addStageService, stageClientConstructor } from "@adq/cluster";
import type { StageServiceDeps } from "@adq/cluster/testing";
import { bindServer } from "@adq/service-common";
import { silentLogger } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { afterAll } from "vitest";

export type RpcStage = "features" | "binning" | "scoring" | "sampling";

/** The bundled models as the stage processes' defaults; datasets under `dataRoots`. */
export function bundledModelEnv(dataRoots: string[]): NonNullable<StageServiceDeps["env"]> {
  return {
    dataRoots,
    models: { defaultModel: DEFAULT_MODEL, builtin: {}, roots: [] },
    maes: { defaultModel: DEFAULT_MAE, builtin: {}, roots: [] },
  };
}

export async function startStageRpcServer<S extends RpcStage>(
  deps: StageServiceDeps,
  stages: readonly S[],
): Promise<{ clients: Record<S, grpc.Client>; close(): void }> {
  const server = new grpc.Server();
  for (const stage of stages) addStageService(server, stage, "test", deps);
  const addr = `127.0.0.1:${await bindServer(server, "127.0.0.1:0")}`;
  const clients = {} as Record<S, grpc.Client>;
  for (const stage of stages)
    clients[stage] = new (stageClientConstructor(stage)!)(addr, grpc.credentials.createInsecure());
  return {
    clients,
    close: () => {
      for (const c of Object.values<grpc.Client>(clients)) c.close();
      server.forceShutdown();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: responses are proto-loader objects checked field by field
export type Res = any;
type Unary = (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: Res) => void) => void;

/**
 * The stage RPC server of one suite: `start` (in beforeAll, or again inside a test for other
 * deps) closes the server before and opens one serving `stages`, with a client per stage (its
 * log silent unless `deps.log`); `call` is a unary call as a promise; the server still open
 * after the suite is closed in afterAll.
 */
export function useStageRpc<S extends RpcStage>(): {
  start(stages: readonly S[], deps: Omit<StageServiceDeps, "log"> & Partial<StageServiceDeps>): Promise<void>;
  call(stage: S, method: string, req: unknown, metadata?: grpc.Metadata): Promise<Res>;
} {
  let rpc: Awaited<ReturnType<typeof startStageRpcServer<S>>> | undefined;
  afterAll(() => rpc?.close());
  return {
    async start(stages, deps) {
      rpc?.close();
      rpc = undefined;
      rpc = await startStageRpcServer({ log: silentLogger, ...deps }, stages);
    },
    call: (stage, method, req, metadata = new grpc.Metadata()) =>
      new Promise<Res>((resolve, reject) => {
        const c = rpc?.clients[stage] as (grpc.Client & Record<string, Unary>) | undefined;
        if (!c) throw new Error(`no ${stage} client: start the stage RPC server first`);
        c[method]!.call(c, req, metadata, (err, res) => (err ? reject(err) : resolve(res)));
      }),
  };
}
