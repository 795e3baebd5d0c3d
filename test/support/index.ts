// The test kit: what suites share (temp dirs and data slices, free ports, child processes,
// real nats-server and SeaweedFS fixtures). Import from here.

export { atLeast, wrapHandlers } from "./bus.ts";
export { type CliResult, compressCli, runCli } from "./cli.ts";
export { BROKEN_JPEG, brokenSlice, collect, demoSlice, sliceOf, tmp } from "./fs.ts";
export {
  findNatsServer,
  NATS_SERVER_MISSING,
  type NatsServer,
  type NatsServerOptions,
  startNatsServer,
  useNatsServer,
} from "./nats-server.ts";
export { freePort, spawnServer, stopChild, trackChild, waitExit } from "./process.ts";
export {
  clusterFlags,
  dumpLogs,
  killAll,
  type LogLine,
  ServiceProcess,
  startServe,
  startService,
  useServe,
} from "./procs.ts";
export {
  type S3Identity,
  type S3Server,
  type S3ServerOptions,
  startS3Server,
  useS3Server,
  WEED_MISSING,
} from "./s3-server.ts";
export { until } from "./wait.ts";
