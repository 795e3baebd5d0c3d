/**
 * KEDA v2.21.0 (built by scripts/k8s-tools.sh) on a test cluster: its CRDs applied, the
 * operator run as a local process against the cluster's kubeconfig (namespace `keda`), and
 * optionally the metrics adapter (external.metrics.k8s.io through API aggregation).
 */
import { readdir, readFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { freePort } from "../support/nats-server.ts";
import { type Cluster, makeServingCert, WaitAborted, waitFor } from "./cluster.ts";

export const KEDA_NAMESPACE = "keda";

/**
 * Creates every object of a multi-document YAML manifest on the cluster. The documents go
 * through client-node's typed models (loadAllYaml): its serializer drops fields it does not
 * know by their model names (a plain `x-kubernetes-int-or-string` would be lost).
 */
export async function applyManifests(kc: k8s.KubeConfig, text: string): Promise<k8s.KubernetesObject[]> {
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  const docs = (k8s.loadAllYaml(text) as k8s.KubernetesObject[]).filter((d) => d);
  for (const d of docs) await api.create(d);
  return docs;
}

export async function installKedaCrds(cluster: Cluster): Promise<void> {
  const dir = cluster.tools.kedaCrdsDir;
  const docs: k8s.KubernetesObject[] = [];
  for (const f of (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort())
    docs.push(...(await applyManifests(cluster.kc, await readFile(join(dir, f), "utf8"))));
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
        throw new WaitAborted(`keda-operator exited:\n${cluster.logTail("keda-operator")}`);
      const r = await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined);
      return r?.ok ? true : undefined;
    },
    60_000,
  );
  return { metricsServiceAddress: `127.0.0.1:${grpcPort}`, certDir };
}

/** The first non-internal IPv4 address of this machine (Endpoints refuse loopback addresses). */
export function hostIPv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return undefined;
}

/**
 * Starts keda-adapter (the external.metrics.k8s.io API server) and wires it into the API
 * server through API aggregation: a selector-less Service `keda/keda-metrics-apiserver`, its
 * Endpoints, and the APIService `v1beta1.external.metrics.k8s.io`. The API server routes to
 * the endpoint's address (--enable-aggregator-routing), and Endpoints refuse loopback
 * addresses, so the adapter listens on this machine's own (non-loopback) address.
 */
export async function startKedaAdapter(cluster: Cluster, keda: Keda): Promise<void> {
  const ip = hostIPv4();
  if (!ip) throw new Error("no non-loopback IPv4 address: API aggregation needs one for the Endpoints");
  const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
  const certDir = join(cluster.dir, "keda-adapter-certs");
  await makeServingCert(cluster, certDir, "keda-metrics-apiserver", [
    `IP:${ip}`,
    "IP:127.0.0.1",
    "DNS:keda-metrics-apiserver.keda.svc",
  ]);
  const proc = cluster.spawnProcess(
    "keda-adapter",
    cluster.tools.bin("keda-adapter"),
    [
      `--kubeconfig=${cluster.kubeconfig}`,
      `--lister-kubeconfig=${cluster.kubeconfig}`,
      `--authentication-kubeconfig=${cluster.kubeconfig}`,
      `--authorization-kubeconfig=${cluster.kubeconfig}`,
      `--bind-address=${ip}`,
      `--secure-port=${port}`,
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${join(certDir, "tls.crt")}`,
      `--tls-private-key-file=${join(certDir, "tls.key")}`,
      `--metrics-service-address=${keda.metricsServiceAddress}`,
      `--port=${metricsPort}`,
    ],
    {
      KUBECONFIG: cluster.kubeconfig,
      WATCH_NAMESPACE: "",
      POD_NAMESPACE: KEDA_NAMESPACE,
      KEDA_CLUSTER_OBJECT_NAMESPACE: KEDA_NAMESPACE,
    },
  );
  const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
  const name = "keda-metrics-apiserver";
  await core.createNamespacedService({
    namespace: KEDA_NAMESPACE,
    body: {
      metadata: { name },
      spec: { ports: [{ name: "https", port: 443, targetPort: port, protocol: "TCP" }] },
    },
  });
  await core.createNamespacedEndpoints({
    namespace: KEDA_NAMESPACE,
    body: {
      metadata: { name },
      subsets: [{ addresses: [{ ip }], ports: [{ name: "https", port, protocol: "TCP" }] }],
    },
  });
  const reg = cluster.kc.makeApiClient(k8s.ApiregistrationV1Api);
  await reg.createAPIService({
    body: {
      metadata: { name: "v1beta1.external.metrics.k8s.io" },
      spec: {
        group: "external.metrics.k8s.io",
        version: "v1beta1",
        service: { namespace: KEDA_NAMESPACE, name, port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  });
  await waitFor(
    "APIService v1beta1.external.metrics.k8s.io Available",
    async () => {
      if (proc.child.exitCode !== null)
        throw new WaitAborted(`keda-adapter exited:\n${cluster.logTail("keda-adapter")}`);
      const a = await reg.readAPIService({ name: "v1beta1.external.metrics.k8s.io" });
      return a.status?.conditions?.some((c) => c.type === "Available" && c.status === "True")
        ? true
        : undefined;
    },
    90_000,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}\nkeda-adapter log:\n${cluster.logTail("keda-adapter")}`);
  });
}
