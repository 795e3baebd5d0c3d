export {
  ARTIFACT_PARTS,
  type ArtifactPart,
  artifactBucket,
  artifactPartOf,
  openStagedArtifacts,
  STAGE_READS,
  type StageRole,
} from "./artifact-buckets.ts";
export { type ClusterGatewayOptions, type RunningClusterGateway, startClusterGateway } from "./gateway.ts";
export { natsMetrics, queueMetrics } from "./metrics.ts";
export {
  type ClusterPorts,
  NatsConnectError,
  natsAuthMethod,
  natsServers,
  openClusterPorts,
} from "./ports.ts";
export {
  addStageService,
  STAGE_NAMES,
  type StageProcessName,
  stageClientConstructor,
  stageServiceName,
} from "./stage-services.ts";
export { type RunningStageWorker, type StageWorkerProcessOptions, startStageWorker } from "./worker.ts";
