/**
 * `adq controller`: reconciles CompressionJob objects against a gateway (services/controller).
 * Runs until SIGTERM/SIGINT, then releases its leader Lease so a standby replica takes over.
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { CompressionJobController } from "@adq/controller";
import { Logger, parseLogLevel } from "@adq/service-common";
import * as k8s from "@kubernetes/client-node";
import { CLIENT_TLS_OPTIONS, clientSecurityFromFlags } from "./client-tls.ts";
import { DECIMAL_INTEGER } from "./numbers.ts";
import { UsageError } from "./output-dir.ts";

export const CONTROLLER_HELP = `  adq controller [--gateway host:port] [--namespace ns] [--lease-namespace ns]
                 [--kubeconfig file] [--results-root dir] [--identity id] [--poll-ms 2000]
                 [--tls-ca f] [--tls-cert f --tls-key f] [--tls-server-name n] [--plaintext]
                                       reconcile CompressionJob resources (Kubernetes) through the gateway
`;

function ms(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!DECIMAL_INTEGER.test(v.trim()) || Number(v) < 1)
    throw new UsageError(`--${flag} must be a positive integer (milliseconds), got ${JSON.stringify(v)}`);
  return Number(v);
}

export async function runController(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      gateway: { type: "string" },
      namespace: { type: "string" },
      "lease-namespace": { type: "string" },
      "lease-name": { type: "string" },
      kubeconfig: { type: "string" },
      "results-root": { type: "string" },
      identity: { type: "string" },
      "poll-ms": { type: "string" },
      "resync-ms": { type: "string" },
      "lease-duration-ms": { type: "string" },
      "retry-period-ms": { type: "string" },
      "log-level": { type: "string" },
      ...CLIENT_TLS_OPTIONS,
    },
  });
  const gateway = values.gateway ?? process.env.ADQ_SERVER ?? "127.0.0.1:50051";
  // The same client TLS rules as adq submit: TLS unless the gateway is on loopback or --plaintext.
  const security = clientSecurityFromFlags(gateway, values);
  if (positionals.length > 0) throw new UsageError("controller takes no positional arguments");
  const kc = new k8s.KubeConfig();
  // --kubeconfig, else $KUBECONFIG / ~/.kube/config, else the pod's service account.
  if (values.kubeconfig) kc.loadFromFile(resolve(values.kubeconfig));
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new UsageError("no Kubernetes cluster configured (use --kubeconfig)");
  const log = new Logger(process.stderr, { service: "controller" }, parseLogLevel(values["log-level"]));
  const controller = new CompressionJobController({
    kc,
    gateway,
    gatewaySecurity: { credentials: security.credentials, channelOptions: security.channelOptions },
    ...(values.namespace ? { namespace: values.namespace } : {}),
    leaseNamespace: values["lease-namespace"] ?? process.env.POD_NAMESPACE ?? "default",
    ...(values["lease-name"] ? { leaseName: values["lease-name"] } : {}),
    identity: values.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
    ...(values["results-root"] ? { resultsRoot: resolve(values["results-root"]) } : {}),
    pollMs: ms("poll-ms", values["poll-ms"], 2000),
    resyncMs: ms("resync-ms", values["resync-ms"], 30_000),
    leaseDurationMs: ms("lease-duration-ms", values["lease-duration-ms"], 15_000),
    retryPeriodMs: ms("retry-period-ms", values["retry-period-ms"], 2000),
    log,
  });
  controller.start();
  log.info("controller_started", { cluster: kc.getCurrentCluster()?.server });
  await new Promise<void>((done) => {
    process.once("SIGTERM", done);
    process.once("SIGINT", done);
  });
  await controller.stop();
  log.info("controller_stopped");
  return 0;
}
