/**
 * A real Kubernetes control plane for tests, with no container runtime: etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler (v1.34.4, built by scripts/k8s-tools.sh) on free
 * loopback ports, with a CA, serving/client certificates and a kubeconfig made here with
 * openssl, plus kwok simulating the kubelets of the nodes the test creates (nodes annotated
 * `kwok.x-k8s.io/node: fake`: kwok marks them Ready, heartbeats their leases, and turns pods
 * bound to them Running/Ready). Pods never run a process: this cluster is about the control
 * plane — admission, scheduling, controllers, scaling.
 *
 * `startCluster()` resolves once /readyz is ok and the `default` ServiceAccount exists (pods
 * are refused before it); `stop()` ends every process in reverse order and waits for each PID
 * to exit (SIGTERM, SIGKILL after a bound). Every process is also SIGKILLed if the test
 * process exits. Reusable: the CompressionJob controller tests start the same cluster.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { freePort, stopChild, trackChild } from "../support/process.ts";
import { until } from "../support/wait.ts";
import { type K8sTools, k8sTools } from "./tools.ts";

const run = promisify(execFile);

export interface Cluster {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** A kubeconfig file with cluster-admin (system:masters) client-certificate credentials. */
  readonly kubeconfig: string;
  readonly kc: k8s.KubeConfig;
  readonly tools: K8sTools;
  /** Working directory: certificates, etcd data, one log file per process. */
  readonly dir: string;
  /** The PKI made for this cluster (file paths). */
  readonly pki: Pki;
  /** Starts another process beside the control plane; `stop()` ends it first. */
  spawnProcess(name: string, bin: string, args: string[], env?: NodeJS.ProcessEnv): ManagedProcess;
  /** Every process started (control plane first, then extras), running or ended. */
  processes(): ManagedProcess[];
  /** Creates a node kwok manages (Ready within seconds). */
  addNode(spec: FakeNode): Promise<void>;
  /** The last lines of a process's log (for assertion messages). */
  logTail(name: string, lines?: number): string;
  stop(): Promise<void>;
}

export interface FakeNode {
  name: string;
  labels?: Record<string, string>;
  taints?: k8s.V1Taint[];
  /** Capacity (= allocatable): cpu, memory, pods, nvidia.com/gpu, … */
  capacity?: Record<string, string>;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string;
  stop(): Promise<void>;
}

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  frontProxyCaCert: string;
  frontProxyCert: string;
  frontProxyKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

/** The extensions of a client certificate (the admin's, the front proxy's). */
const CLIENT_AUTH = "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment";

/** EC P-256 keys (fast to make); certificates valid for two days. */
async function makeCert(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  subject: string,
  ext: string,
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  await writeFile(extFile, `${ext}\n`);
  await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
  await openssl(dir, ["req", "-new", "-key", key, "-out", csr, "-subj", subject]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-out",
    cert,
    "-days",
    "2",
    "-extfile",
    extFile,
  ]);
  return { cert, key };
}

async function makeCa(dir: string, name: string, cn: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
  await openssl(dir, ["req", "-x509", "-new", "-key", key, "-out", cert, "-days", "2", "-subj", `/CN=${cn}`]);
  return { cert, key };
}

/** The PKI of one cluster: cluster CA, API server serving cert, admin client, SA keys, front proxy. */
export async function makePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const ca = await makeCa(dir, "ca", "adq-test-ca");
  const server = await makeCert(
    dir,
    "apiserver",
    ca,
    "/CN=kube-apiserver",
    [
      "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local",
      "extendedKeyUsage=serverAuth",
      "keyUsage=digitalSignature,keyEncipherment",
    ].join("\n"),
  );
  const admin = await makeCert(dir, "admin", ca, "/O=system:masters/CN=adq-test-admin", CLIENT_AUTH);
  const saKey = join(dir, "sa.key");
  const saPub = join(dir, "sa.pub");
  await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", saKey]);
  await openssl(dir, ["ec", "-in", saKey, "-pubout", "-out", saPub]);
  const fp = await makeCa(dir, "front-proxy-ca", "adq-test-front-proxy-ca");
  const fpc = await makeCert(dir, "front-proxy-client", fp, "/CN=front-proxy-client", CLIENT_AUTH);
  return {
    caCert: ca.cert,
    caKey: ca.key,
    serverCert: server.cert,
    serverKey: server.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    saKey,
    saPub,
    frontProxyCaCert: fp.cert,
    frontProxyCert: fpc.cert,
    frontProxyKey: fpc.key,
  };
}

/**
 * A serving + client certificate signed by the cluster CA, written as tls.crt / tls.key /
 * ca.crt into `dir` (the layout controller-runtime and KEDA read).
 */
export async function makeServingCert(
  cluster: Cluster,
  dir: string,
  cn: string,
  sans: string[],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const c = await makeCert(
    dir,
    "tls",
    { cert: cluster.pki.caCert, key: cluster.pki.caKey },
    `/CN=${cn}`,
    [
      `subjectAltName=${sans.join(",")}`,
      "extendedKeyUsage=serverAuth,clientAuth",
      "keyUsage=digitalSignature,keyEncipherment",
    ].join("\n"),
  );
  if (c.cert !== join(dir, "tls.crt")) throw new Error("unexpected certificate path");
  await writeFile(join(dir, "ca.crt"), readFileSync(cluster.pki.caCert));
}

function kubeconfigYaml(server: string, pki: Pki): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: adq-test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${pki.caCert}`,
    "users:",
    "- name: admin",
    "  user:",
    `    client-certificate: ${pki.adminCert}`,
    `    client-key: ${pki.adminKey}`,
    "contexts:",
    "- name: adq-test",
    "  context:",
    "    cluster: adq-test",
    "    user: admin",
    "    namespace: default",
    "current-context: adq-test",
    "",
  ].join("\n");
}

/** GET a path of the API server with the admin certificate: [status, body]. */
function apiGet(server: string, pki: Pki, path: string): Promise<[number, string]> {
  return new Promise((resolve) => {
    const req = request(
      `${server}${path}`,
      {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: 2000,
      },
      (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve([res.statusCode ?? 0, body]));
      },
    );
    req.on("error", (e) => resolve([0, String(e)]));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

/** Thrown inside a `waitFor` check: stops the wait at once (a process died, nothing to wait for). */
export class WaitAborted extends Error {
  override readonly name = "WaitAborted";
}

/**
 * `until` (test/support/wait.ts), except that errors thrown by `check` count as "not yet" (an API
 * server still starting), but WaitAborted; the last such error is named when the wait times out.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<T> {
  let last: unknown;
  const attempt = async () => {
    try {
      return await check();
    } catch (e) {
      if (e instanceof WaitAborted) throw e;
      last = e;
      return undefined;
    }
  };
  try {
    return await until(what, attempt, { timeoutMs, everyMs });
  } catch (e) {
    if (e instanceof WaitAborted || !last) throw e;
    throw new Error(`${(e as Error).message}: ${String(last)}`);
  }
}

export interface ClusterOptions {
  /** Also run kwok (default true). */
  kwok?: boolean;
  /** Extra kube-apiserver flags. */
  apiserverArgs?: string[];
  /** Extra kube-controller-manager flags. */
  controllerManagerArgs?: string[];
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const tools = k8sTools([
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    ...(options.kwok === false ? [] : (["kwok"] as const)),
  ]);
  const dir = await mkdtemp(join(tmpdir(), "adq-k8s-"));
  const procs: ManagedProcess[] = [];

  const spawnProcess = (name: string, bin: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const log = join(dir, `${name}.log`);
    const fd = openSync(log, "a");
    const child = spawn(bin, args, { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    trackChild(child);
    const p: ManagedProcess = { name, child, log, stop: () => stopChild(child, "SIGTERM", 10_000) };
    procs.push(p);
    return p;
  };
  const logTail = (name: string, lines = 30) => {
    try {
      return readFileSync(join(dir, `${name}.log`), "utf8")
        .split("\n")
        .slice(-lines)
        .join("\n");
    } catch {
      return "";
    }
  };
  const stop = async () => {
    // Reverse order of start: extras (KEDA, …), kwok, scheduler, controller-manager, API server, etcd.
    for (const p of [...procs].reverse()) await p.stop();
    if (!process.env.ADQ_K8S_KEEP) await rm(dir, { recursive: true, force: true });
  };
  const alive = (p: ManagedProcess) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new WaitAborted(
        `${p.name} exited (${p.child.exitCode ?? p.child.signalCode}):\n${logTail(p.name)}`,
      );
  };

  try {
    const pki = await makePki(join(dir, "pki"));
    const [etcdPort, peerPort, apiPort, kwokPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const etcd = spawnProcess("etcd", tools.bin("etcd"), [
      "--name=adq-test",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=adq-test=http://127.0.0.1:${peerPort}`,
      "--unsafe-no-fsync", // a throw-away store: no fsync on 2 busy cores
      "--log-level=warn",
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = spawnProcess("kube-apiserver", tools.bin("kube-apiserver"), [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      "--service-account-issuer=https://kubernetes.default.svc",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--authorization-mode=RBAC",
      // No kubelets, no kube-proxy: nobody reconciles the kubernetes Service's endpoints.
      "--endpoint-reconciler-type=none",
      "--allow-privileged=false",
      // API aggregation (metrics adapters): the front proxy's client certificate.
      `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
      "--requestheader-allowed-names=front-proxy-client",
      "--requestheader-username-headers=X-Remote-User",
      "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      `--proxy-client-cert-file=${pki.frontProxyCert}`,
      `--proxy-client-key-file=${pki.frontProxyKey}`,
      "--enable-aggregator-routing=true",
      "--v=1",
      ...(options.apiserverArgs ?? []),
    ]);
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, kubeconfigYaml(server, pki));
    await waitFor(
      "kube-apiserver /readyz",
      async () => {
        alive(etcd);
        alive(apiserver);
        const [status] = await apiGet(server, pki, "/readyz");
        return status === 200 ? true : undefined;
      },
      60_000,
    );

    // The controller-manager's and the scheduler's shared flags: the admin kubeconfig for the API
    // and for delegated authentication/authorization, a free loopback port, one replica each.
    const componentArgs = async () => [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
      "--leader-elect=false",
    ];
    const cm = spawnProcess("kube-controller-manager", tools.bin("kube-controller-manager"), [
      ...(await componentArgs()),
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      "--use-service-account-credentials=false",
      "--horizontal-pod-autoscaler-sync-period=2s",
      "--v=1",
      ...(options.controllerManagerArgs ?? []),
    ]);
    const sched = spawnProcess("kube-scheduler", tools.bin("kube-scheduler"), [
      ...(await componentArgs()),
      "--v=1",
    ]);
    if (options.kwok !== false) {
      spawnProcess("kwok", tools.bin("kwok"), [
        `--kubeconfig=${kubeconfig}`,
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--node-lease-duration-seconds=40",
        "--cidr=10.244.0.0/16",
        "--node-ip=10.245.0.1",
        `--server-address=127.0.0.1:${kwokPort}`,
        ...tools.kwokStages.flatMap((s) => ["--config", s]),
      ]);
    }

    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await waitFor(
      "the default ServiceAccount",
      async () => {
        alive(cm);
        alive(sched);
        await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
        return true;
      },
      60_000,
    );

    return {
      server,
      kubeconfig,
      kc,
      tools,
      dir,
      pki,
      spawnProcess,
      processes: () => [...procs],
      logTail,
      stop,
      async addNode(spec) {
        const capacity = { cpu: "8", memory: "32Gi", pods: "110", ...spec.capacity };
        await core.createNode({
          body: {
            metadata: {
              name: spec.name,
              annotations: { "kwok.x-k8s.io/node": "fake" },
              labels: {
                "kubernetes.io/hostname": spec.name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                type: "kwok",
                ...spec.labels,
              },
            },
            spec: { taints: spec.taints ?? [] },
            status: { capacity, allocatable: capacity },
          },
        });
        await waitFor(`node ${spec.name} Ready`, async () => {
          const n = await core.readNode({ name: spec.name });
          return n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
            ? true
            : undefined;
        });
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** `helm` against a cluster (or without one for lint/template): [stdout, stderr]. */
export async function helm(
  tools: K8sTools,
  args: string[],
  kubeconfig?: string,
): Promise<{ stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(tmpdir(), "adq-helm-cache"),
    HELM_CONFIG_HOME: join(tmpdir(), "adq-helm-config"),
    HELM_DATA_HOME: join(tmpdir(), "adq-helm-data"),
  };
  if (kubeconfig) (env as Record<string, string>).KUBECONFIG = kubeconfig;
  try {
    return await run(tools.bin("helm"), args, { env, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(`helm ${args.join(" ")} failed: ${err.stderr || err.message}`);
  }
}
