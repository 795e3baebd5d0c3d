// The stage gRPC services of the stage-RPC tests, on a free local port, with a client per stage.

import { DEFAULT_MAE, DEFAULT_MODEL } from "@adq/cli";
import { addStageService, stageClientConstructor } from "@adq/cluster";
import type { StageServiceDeps } from "@adq/cluster/testing";
import { bindServer } from "@adq/service-common";
import * as grpc from "@grpc/grpc-js";

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
