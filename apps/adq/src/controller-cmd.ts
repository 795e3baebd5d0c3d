/**
 * `adq controller`: reconciles CompressionJob objects against a gateway (services/controller).
 * Runs until SIGTERM/SIGINT, then releases its leader Lease so a standby replica takes over.
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { CompressionJobController } from "@adq/controller";
import { Logger, parseLogLevel, processMetrics, Registry, startMetricsServer } from "@adq/service-common";
import * as k8s from "@kubernetes/client-node";
import { CLIENT_TLS_OPTIONS, clientSecurityFromFlags } from "./client-tls.ts";
import { noPositionals, parseCommand, switchFlags, valueFlags } from "./flags.ts";
import { DECIMAL_INTEGER } from "./numbers.ts";
import { UsageError } from "./output-dir.ts";

export const CONTROLLER_HELP = `  adq controller [--gateway host:port] [--namespace ns] [--lease-namespace ns]
                 [--kubeconfig file] [--results-root dir] [--identity id] [--poll-ms 2000]
                 [--tls-ca f] [--tls-cert f --tls-key f] [--tls-server-name n] [--plaintext]
                 [--instance name] [--lease-name n] [--metrics-port p [--metrics-host h]]
                                       reconcile CompressionJob resources (Kubernetes) through the gateway;
                                       --instance: only objects labelled adq.dev/controller=<name>
                                       (without it: only unlabelled ones); /metrics and /healthz
  adq controller --release-finalizers [--namespace ns] [--instance name] [--kubeconfig file]
                                       remove the controller's finalizer from every object it owns
                                       (run before uninstalling it, so deletes do not hang)
`;

function ms(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!DECIMAL_INTEGER.test(v.trim()) || Number(v) < 1)
    throw new UsageError(`--${flag} must be a positive integer (milliseconds), got ${JSON.stringify(v)}`);
  return Number(v);
}

const CONTROLLER_FLAGS = {
  ...valueFlags("gateway", "kubeconfig", "namespace", "instance", "identity", "results-root", "log-level"),
  ...valueFlags("poll-ms", "resync-ms", "metrics-port", "metrics-host"),
  // leader election
  ...valueFlags("lease-namespace", "lease-name", "lease-duration-ms", "retry-period-ms"),
  ...switchFlags("release-finalizers"),
  ...CLIENT_TLS_OPTIONS,
};

export async function runController(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, CONTROLLER_FLAGS);
  noPositionals("controller", positionals);
  const gateway = values.gateway ?? process.env.ADQ_SERVER ?? "127.0.0.1:50051";
  // The same client TLS rules as adq submit: TLS unless the gateway is on loopback or --plaintext.
  const security = clientSecurityFromFlags(gateway, values);
  const instance = values.instance;
  // A label value: the objects an instance owns are selected by it.
  if (instance !== undefined && !/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(instance))
    throw new UsageError(
      `--instance must be a Kubernetes label value (≤ 63 alphanumerics, - _ .), got ${JSON.stringify(instance)}`,
    );
  const mp = values["metrics-port"];
  if (mp !== undefined && !(DECIMAL_INTEGER.test(mp.trim()) && Number(mp) <= 65535))
    throw new UsageError(`--metrics-port must be a port (0-65535; 0: a free one), got ${JSON.stringify(mp)}`);
  const metricsPort = mp === undefined ? undefined : Number(mp);
  const kc = new k8s.KubeConfig();
  // --kubeconfig, else $KUBECONFIG / ~/.kube/config, else the pod's service account.
  if (values.kubeconfig) kc.loadFromFile(resolve(values.kubeconfig));
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new UsageError("no Kubernetes cluster configured (use --kubeconfig)");
  const log = new Logger(process.stderr, { service: "controller" }, parseLogLevel(values["log-level"]));
  const registry = new Registry();
  processMetrics(registry, "controller");
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
    ...(instance ? { instance } : {}),
    registry,
    log,
  });
  if (values["release-finalizers"]) {
    const released = await controller.releaseFinalizers();
    log.info("finalizers_released", { count: released.length, objects: released });
    process.stdout.write(`adq controller: released ${released.length} CompressionJob(s)\n`);
    return 0;
  }
  // /metrics and /healthz (the chart's probes): up while the process runs, leader or standby.
  const metrics =
    metricsPort === undefined
      ? undefined
      : await startMetricsServer(registry, metricsPort, values["metrics-host"] ?? "0.0.0.0");
  controller.start();
  log.info("controller_started", { cluster: kc.getCurrentCluster()?.server, metrics: metrics?.url });
  await new Promise<void>((done) => {
    process.once("SIGTERM", done);
    process.once("SIGINT", done);
  });
  await controller.stop();
  await metrics?.close();
  log.info("controller_stopped");
  return 0;
}
