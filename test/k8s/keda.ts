/**
 * KEDA v2.21.0 (built by scripts/k8s-tools.sh) on a test cluster: its CRDs applied, the
 * operator run as a local process against the cluster's kubeconfig (namespace `keda`), and
 * optionally the metrics adapter (external.metrics.k8s.io through API aggregation).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import yaml from "js-yaml";
import { freePort } from "../support/nats-server.ts";
import { type Cluster, makeServingCert, waitFor } from "./cluster.ts";

export const KEDA_NAMESPACE = "keda";

/** Creates every object of a multi-document manifest (plain objects) on the cluster. */
export async function applyManifests(kc: k8s.KubeConfig, docs: k8s.KubernetesObject[]): Promise<void> {
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const d of docs) await api.create(d);
}

export async function installKedaCrds(cluster: Cluster): Promise<void> {
  const dir = cluster.tools.kedaCrdsDir;
  const docs: k8s.KubernetesObject[] = [];
  for (const f of (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort())
    for (const d of yaml.loadAll(await readFile(join(dir, f), "utf8")))
      if (d) docs.push(d as k8s.KubernetesObject);
  await applyManifests(cluster.kc, docs);
  const ext = cluster.kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const d of docs)
    await waitFor(`CRD ${d.metadata?.name} Established`, async () => {
      const crd = await ext.readCustomResourceDefinition({ name: d.metadata!.name! });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
        ? true
        : undefined;
    });
}

export interface Keda {
  /** 127.0.0.1:<port> of the operator's metrics gRPC service (the adapter's upstream). */
  metricsServiceAddress: string;
  certDir: string;
}

/**
 * Starts keda-operator as a local process. Its metrics gRPC service needs a serving
 * certificate (tls.crt/tls.key/ca.crt in --cert-dir; cert rotation is off: no in-cluster
 * Secret/Service to patch).
 */
export async function startKedaOperator(cluster: Cluster): Promise<Keda> {
  const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: KEDA_NAMESPACE } } }).catch((e) => {
    if ((e as { code?: number }).code !== 409) throw e;
  });
  const certDir = join(cluster.dir, "keda-certs");
  await makeServingCert(cluster, certDir, "keda-operator", [
    "IP:127.0.0.1",
    "DNS:localhost",
    "DNS:keda-operator",
    "DNS:keda-operator.keda",
    "DNS:keda-operator.keda.svc",
  ]);
  const [metricsPort, probePort, grpcPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const op = cluster.spawnProcess(
    "keda-operator",
    cluster.tools.bin("keda-operator"),
    [
      `--kubeconfig=${cluster.kubeconfig}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${probePort}`,
      `--metrics-service-bind-address=127.0.0.1:${grpcPort}`,
      `--cert-dir=${certDir}`,
      "--enable-cert-rotation=false",
      "--enable-webhook-patching=false",
      "--enable-apiservice-patching=false",
      "--leader-elect=false",
      `--ca-dir=${certDir}`,
      "--zap-log-level=info",
    ],
    {
      KUBECONFIG: cluster.kubeconfig,
      WATCH_NAMESPACE: "",
      POD_NAMESPACE: KEDA_NAMESPACE,
      KEDA_CLUSTER_OBJECT_NAMESPACE: KEDA_NAMESPACE,
      KEDA_HTTP_DEFAULT_TIMEOUT: "3000",
    },
  );
  await waitFor(
    "keda-operator healthz",
    async () => {
      if (op.child.exitCode !== null)
        throw new Error(`keda-operator exited:\n${cluster.logTail("keda-operator")}`);
      const r = await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined);
      return r?.ok ? true : undefined;
    },
    60_000,
  );
  return { metricsServiceAddress: `127.0.0.1:${grpcPort}`, certDir };
}
