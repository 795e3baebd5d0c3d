/**
 * charts/adq installed with the real helm into a real control plane (test/k8s/cluster.ts:
 * etcd, kube-apiserver, controller-manager, scheduler v1.34.4; kwok simulating the kubelets
 * of a CPU pool and a GPU pool) with KEDA v2.21.0's CRDs and operator, and a real
 * nats-server whose queues KEDA watches. Pods never run a process (kwok marks them Running):
 * these tests are about admission, scheduling, controllers and scaling — the container test
 * covers the image. One exception: the coordinator pod's process runs (pod-processes.ts: its
 * own args, config and secrets, on this machine), because the control plane — not this test,
 * not a worker — must declare every stage's durable consumer before any job (issue 30).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNats, NatsBus, type NatsConnection } from "@adq/platform/nats";
import * as k8s from "@kubernetes/client-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type NatsServer, startNatsServer } from "../support/nats-server.ts";
import { type Cluster, helm, startCluster, waitFor } from "./cluster.ts";
import { installKedaCrds, type Keda, startKedaAdapter, startKedaOperator } from "./keda.ts";
import { type PodProcesses, runPodProcesses } from "./pod-processes.ts";
import { STAGES } from "./render.ts";
import { CHART_DIR, K8S_TESTS_OFF } from "./tools.ts";

const NS = "adq";
const RELEASE = "adq";
const GPU_STAGES = new Set(["features", "sampling"]);
const dep = (stage: string) => `${RELEASE}-${stage}`;

describe.skipIf(K8S_TESTS_OFF)("helm install of charts/adq on a real control plane", () => {
  let cluster: Cluster;
  let nats: NatsServer;
  let monitorPort: number;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let custom: k8s.CustomObjectsApi;
  let autoscaling: k8s.AutoscalingV2Api;
  let valuesFile: string;
  const conns: NatsConnection[] = [];
  let keda: Keda;
  let worker: NatsBus;
  /** Publishes tasks as the coordinator would (it declares nothing: the coordinator pod does). */
  let coordinator: NatsBus;
  let pods: PodProcesses;
  const helmArgs = (...a: string[]) => helm(cluster.tools, a, cluster.kubeconfig);
  /** `helm install|upgrade` of the release from the chart into the namespace. */
  const helmRelease = (verb: "install" | "upgrade", ...a: string[]) =>
    helmArgs(verb, RELEASE, CHART_DIR, "--namespace", NS, ...a);

  beforeAll(async () => {
    monitorPort = await freePort();
    nats = await startNatsServer({ args: ["-m", String(monitorPort)] });
    cluster = await startCluster();
    core = cluster.kc.makeApiClient(k8s.CoreV1Api);
    apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
    custom = cluster.kc.makeApiClient(k8s.CustomObjectsApi);
    autoscaling = cluster.kc.makeApiClient(k8s.AutoscalingV2Api);
    // Two node pools: CPU nodes, and GPU nodes with 4 GPUs each and the usual taint.
    for (const i of [1, 2]) {
      await cluster.addNode({ name: `cpu-${i}`, labels: { pool: "cpu" } });
      await cluster.addNode({
        name: `gpu-${i}`,
        labels: { pool: "gpu", "nvidia.com/gpu.present": "true" },
        capacity: { "nvidia.com/gpu": "4" },
        taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }],
      });
    }
    // The release namespace enforces the restricted Pod Security Standard: a pod the chart
    // renders that is not restricted-compliant is refused by admission.
    await core.createNamespace({
      body: {
        metadata: {
          name: NS,
          labels: {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        },
      },
    });
    // Neither this test nor a worker declares a consumer (issue 30): the coordinator pod's
    // process does at start (startClusterGateway), before any job or worker.
    const connect = async (name: string) => {
      const nc = await connectNats({ servers: nats.url, name });
      conns.push(nc);
      return NatsBus.connect(nc, { namespace: "adq", declareConsumers: false });
    };
    coordinator = await connect("publisher");
    worker = await connect("worker");
    const consumers = await (await jetstreamManager(conns[0]!)).consumers.list("ADQ_TASKS").next();
    expect(consumers.map((c) => c.name)).toEqual([]);
    pods = runPodProcesses({
      core,
      namespace: NS,
      selector: `app.kubernetes.io/instance=${RELEASE}`,
      components: ["coordinator"],
      dir: await mkdtemp(join(tmpdir(), "adq-pods-")),
    });
    await installKedaCrds(cluster);
    keda = await startKedaOperator(cluster);
    valuesFile = join(cluster.dir, "values.json");
    await writeFile(
      valuesFile,
      JSON.stringify({
        // Pods never run here (kwok): the security settings are chart-template.test.ts's subject.
        security: { acknowledgeInsecure: true },
        nats: { url: nats.url },
        apiKeys: {
          tenants: [{ id: "acme", keys: ["a".repeat(64)], quotas: { concurrent_jobs: 2 } }],
        },
        autoscaling: {
          keda: {
            natsServerMonitoringEndpoint: `127.0.0.1:${monitorPort}`,
            pollingInterval: 1,
            cooldownPeriod: 3,
            // Scale down as soon as the backlog is gone (the default waits 5 minutes).
            hpaBehavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
          },
        },
      }),
    );
  }, 240_000);

  afterAll(async () => {
    await pods?.stop();
    await worker?.close({ timeoutMs: 500 });
    await coordinator?.close({ timeoutMs: 500 });
    for (const nc of conns) await nc.close();
    await cluster?.stop();
    await nats?.stop();
  }, 120_000);

  const readyReplicas = async (name: string) =>
    (await apps.readNamespacedDeployment({ name, namespace: NS })).status;
  const podsOf = async (component: string) =>
    (
      await core.listNamespacedPod({
        namespace: NS,
        labelSelector: `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=${component}`,
      })
    ).items.filter((p) => !p.metadata?.deletionTimestamp);

  /** The release's ScaledObject of a component (KEDA); hasCondition reads its status. */
  const scaledObject = async (component: string) =>
    (await custom.getNamespacedCustomObject({
      group: "keda.sh",
      version: "v1alpha1",
      namespace: NS,
      plural: "scaledobjects",
      name: dep(component),
    })) as {
      spec: { minReplicaCount: number; triggers: { metadata: Record<string, string> }[] };
      status?: { conditions?: { type: string; status: string }[] };
    };
  const hasCondition = (o: Awaited<ReturnType<typeof scaledObject>>, type: string, status: string) =>
    o.status?.conditions?.some((c) => c.type === type && c.status === status) === true;
  /** Waits until the stage's Deployment asks for `replicas` and (`withPods`) has that many pods. */
  const replicasReach = (stage: string, replicas: number, timeoutMs: number, withPods = false) =>
    waitFor(
      `${dep(stage)} at ${replicas} replicas`,
      async () => {
        const d = await apps.readNamespacedDeployment({ name: dep(stage), namespace: NS });
        if (d.spec?.replicas !== replicas) return undefined;
        return !withPods || (await podsOf(stage)).length === replicas ? true : undefined;
      },
      timeoutMs,
    );
  /** A backlog: `n` tasks of one job on the stage's queue, keys `${prefix}-0`…. */
  const publishBacklog = async (jobId: string, stage: string, n: number, prefix: string) => {
    for (let i = 0; i < n; i++)
      await coordinator.publishTask({ jobId, stage, taskKey: `${prefix}-${i}`, payload: { i } });
  };
  /** A worker takes `n` tasks off the stage's queue, as the stage's pod would. */
  const drain = async (stage: string, n: number) => {
    const done: string[] = [];
    const sub = worker.consume(stage, async (t) => {
      done.push(t.taskKey);
      return t.taskKey;
    });
    await waitFor(`${n} ${stage} tasks handled`, async () => (done.length === n ? true : undefined), 30_000);
    await sub.close();
  };

  it("installs with fixed replicas; GPU-stage pods land only on GPU nodes, the others never", async () => {
    const { stdout: notes } = await helmRelease(
      "install",
      "-f",
      valuesFile,
      "--set",
      "autoscaling.engine=none",
      ...STAGES.flatMap((s) => ["--set", `stages.${s}.replicas=2`]),
    );
    for (const c of ["gateway", "coordinator", ...STAGES]) {
      const want = c === "coordinator" ? 1 : 2;
      await waitFor(
        `${c}: ${want} pods Running and Ready`,
        async () => {
          const pods = await podsOf(c);
          const ready = pods.filter(
            (p) =>
              p.status?.phase === "Running" &&
              p.status.conditions?.some((x) => x.type === "Ready" && x.status === "True"),
          );
          return ready.length === want ? pods : undefined;
        },
        90_000,
      );
      for (const p of await podsOf(c)) {
        const node = p.spec?.nodeName ?? "";
        if (GPU_STAGES.has(c)) expect(node, `${p.metadata?.name}`).toMatch(/^gpu-/);
        else expect(node, `${p.metadata?.name}`).toMatch(/^cpu-/);
      }
    }
    // Two GPU pods per GPU stage, one GPU each: 4 of the pool's 8 GPUs requested.
    const gpuPods = [...(await podsOf("features")), ...(await podsOf("sampling"))];
    expect(gpuPods.map((p) => p.spec?.containers[0]?.resources?.limits?.["nvidia.com/gpu"])).toEqual([
      "1",
      "1",
      "1",
      "1",
    ]);
    const secret = await core.readNamespacedSecret({ name: `${RELEASE}-api-keys`, namespace: NS });
    const keys = JSON.parse(Buffer.from(secret.data?.["api-keys.json"] ?? "", "base64").toString());
    expect(keys.tenants[0].id).toBe("acme");
    // The acknowledged insecure settings are spelled out after the install.
    expect(notes).toMatch(/INSECURE: NATS without authentication \(security.acknowledgeInsecure=true\)/);
    expect(notes).toMatch(/INSECURE: gRPC without TLS/);
  }, 180_000);

  it("before any job, every stage's durable consumer (and the jobs queue) exists, declared by the coordinator pod's process", async () => {
    const [co] = pods.live("coordinator");
    expect(co, "the coordinator pod's process").toBeDefined();
    const proc = await co!.proc;
    const jsm = await jetstreamManager(conns[0]!);
    for (const name of [...STAGES, "jobs"]) {
      const info = await waitFor(`consumer ${name}`, () =>
        jsm.consumers.info("ADQ_TASKS", name).catch(() => undefined),
      );
      expect(info.config.filter_subject, name).toBe(`adq.tasks.${name}.>`);
      expect(info.num_pending + info.num_ack_pending, name).toBe(0);
    }
    // None existed before the chart was installed (beforeAll), and this test never declares
    // one: that process made them.
    expect(proc.running).toBe(true);
  }, 90_000);

  it("a GPU request larger than any GPU node stays Pending with the scheduler's reason", async () => {
    await helmRelease("upgrade", "--reuse-values", "--set", "stages.sampling.gpu.count=5");
    const reason = await waitFor(
      "a sampling pod Unschedulable for lack of GPUs",
      async () => {
        for (const p of await podsOf("sampling")) {
          const c = p.status?.conditions?.find((x) => x.type === "PodScheduled");
          if (c?.status === "False" && /nvidia\.com\/gpu/.test(c.message ?? "")) return c.message;
        }
        return undefined;
      },
      60_000,
    );
    expect(reason).toMatch(/Insufficient nvidia\.com\/gpu/);
  }, 120_000);

  it("helm upgrade to KEDA: one ScaledObject per stage, each an HPA on its stage's consumer; GPU stages at zero; coordinators on the jobs queue", async () => {
    await helmRelease("upgrade", "-f", valuesFile);
    for (const s of STAGES) {
      const so = await waitFor(
        `ScaledObject ${dep(s)} Ready`,
        async () => {
          const o = await scaledObject(s);
          return hasCondition(o, "Ready", "True") ? o : undefined;
        },
        60_000,
      );
      expect(so.spec.triggers[0]?.metadata.consumer).toBe(s);
      expect(so.spec.triggers[0]?.metadata.stream).toBe("ADQ_TASKS");
      const hpa = await waitFor(`HPA of ${dep(s)}`, async () =>
        autoscaling.readNamespacedHorizontalPodAutoscaler({ name: `keda-hpa-${dep(s)}`, namespace: NS }),
      );
      expect(hpa.spec?.scaleTargetRef).toMatchObject({ kind: "Deployment", name: dep(s) });
      const metric = hpa.spec?.metrics?.[0]?.external;
      expect(metric?.metric.name).toBe("s0-nats-jetstream-ADQ_TASKS");
      // The HPA's metric is the ScaledObject's trigger, i.e. this stage's consumer.
      expect(metric?.metric.selector?.matchLabels).toEqual({ "scaledobject.keda.sh/name": dep(s) });
    }
    // Coordinators: scaled on the jobs queue (they share jobs by claims), never below one.
    const co = await waitFor(
      `ScaledObject ${dep("coordinator")} Ready`,
      async () => {
        const o = await scaledObject("coordinator");
        return hasCondition(o, "Ready", "True") ? o : undefined;
      },
      60_000,
    );
    expect(co.spec.triggers[0]?.metadata).toMatchObject({ stream: "ADQ_TASKS", consumer: "jobs" });
    expect(co.spec.minReplicaCount).toBe(1);
    const coHpa = await waitFor(`HPA of ${dep("coordinator")}`, async () =>
      autoscaling.readNamespacedHorizontalPodAutoscaler({
        name: `keda-hpa-${dep("coordinator")}`,
        namespace: NS,
      }),
    );
    expect(coHpa.spec?.scaleTargetRef).toMatchObject({ kind: "Deployment", name: dep("coordinator") });
    expect(coHpa.spec?.minReplicas).toBe(1);
    // Every stage's scaler reads its own consumer, which the coordinator declared before any
    // job: 0 pending, so KEDA holds every stage inactive (a missing consumer would make it read
    // the stream's last sequence instead).
    for (const s of STAGES)
      await waitFor(
        `${dep(s)}: KEDA scaler inactive`,
        async () => {
          return hasCondition(await scaledObject(s), "Active", "False") ? true : undefined;
        },
        60_000,
      );
    for (const s of STAGES) await replicasReach(s, GPU_STAGES.has(s) ? 0 : 1, 60_000, true);
  }, 180_000);

  it("a backlog on one stage's queue starts that stage from zero and it returns to zero when drained; the others stay put", async () => {
    const others = STAGES.filter((s) => s !== "features");
    const replicasOfOthers = async () =>
      Object.fromEntries(
        await Promise.all(
          others.map(async (s) => [s, (await readyReplicas(dep(s)))?.replicas ?? 0] as const),
        ),
      );
    // Settled first: right after a ScaledObject is created its HPA may briefly hold a GPU stage at
    // one replica before KEDA returns it to zero (seen once in a full CI run).
    const steady = { binning: 1, scoring: 1, sampling: 0, assemble: 1 };
    await waitFor(
      "the other stages settled at their idle replicas",
      async () => {
        const r = await replicasOfOthers();
        return others.every((s) => r[s] === steady[s as keyof typeof steady]) ? true : undefined;
      },
      90_000,
    );
    const before = await replicasOfOthers();
    expect(before).toEqual(steady);
    expect((await readyReplicas(dep("features")))?.replicas ?? 0).toBe(0);

    await publishBacklog("j-keda", "features", 3, "shard");
    await waitFor(
      "features scaled from 0 to 1 with a pod on a GPU node",
      async () => {
        const pods = await podsOf("features");
        return pods.length === 1 && /^gpu-/.test(pods[0]?.spec?.nodeName ?? "") ? true : undefined;
      },
      60_000,
    );
    for (const s of others) expect((await readyReplicas(dep(s)))?.replicas ?? 0, s).toBe(before[s]);

    // A features worker drains the queue (what the pod would do); KEDA returns it to zero.
    await drain("features", 3);
    await replicasReach("features", 0, 90_000, true);
    for (const s of others) expect((await readyReplicas(dep(s)))?.replicas ?? 0, s).toBe(before[s]);
  }, 240_000);

  it("through KEDA's metrics adapter (API aggregation on this machine), a backlog scales a stage past one replica and back", async () => {
    await startKedaAdapter(cluster, keda);
    // binning: lagThreshold 4 per replica, so 12 pending tasks ask for 3 replicas.
    await publishBacklog("j-hpa", "binning", 12, "bin");
    await replicasReach("binning", 3, 90_000);
    const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({
      name: `keda-hpa-${dep("binning")}`,
      namespace: NS,
    });
    // KEDA's operator alone only moves 0 <-> 1: 3 replicas came from the HPA reading the
    // external metric through the aggregated API.
    expect(hpa.status?.currentMetrics?.[0]?.external?.metric.name).toBe("s0-nats-jetstream-ADQ_TASKS");
    expect((await readyReplicas(dep("scoring")))?.replicas).toBe(1);
    await drain("binning", 12);
    await replicasReach("binning", 1, 90_000);
  }, 240_000);

  it("helm upgrade removes what a value turns off, helm uninstall leaves nothing behind", async () => {
    await helmRelease(
      "upgrade",
      "-f",
      valuesFile,
      "--set",
      "stages.assemble.enabled=false",
      "--set",
      "networkPolicy.enabled=false",
    );
    const selector = `app.kubernetes.io/instance=${RELEASE}`;
    await waitFor(
      "assemble's objects gone after the upgrade",
      async () => {
        const deps = await apps.listNamespacedDeployment({ namespace: NS, labelSelector: selector });
        const hpas = await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: NS });
        const gone =
          !deps.items.some((d) => d.metadata?.name === dep("assemble")) &&
          !hpas.items.some((h) => h.metadata?.name === `keda-hpa-${dep("assemble")}`);
        return gone ? true : undefined;
      },
      60_000,
    );
    const net = cluster.kc.makeApiClient(k8s.NetworkingV1Api);
    expect((await net.listNamespacedNetworkPolicy({ namespace: NS })).items).toEqual([]);

    await helmArgs("uninstall", RELEASE, "--namespace", NS, "--wait", "--timeout", "120s");
    const policy = cluster.kc.makeApiClient(k8s.PolicyV1Api);
    const leftovers = async () => {
      const lists = await Promise.all([
        apps.listNamespacedDeployment({ namespace: NS }).then((l) => l.items),
        apps.listNamespacedReplicaSet({ namespace: NS }).then((l) => l.items),
        core.listNamespacedPod({ namespace: NS }).then((l) => l.items),
        core.listNamespacedService({ namespace: NS }).then((l) => l.items),
        core
          .listNamespacedConfigMap({ namespace: NS })
          .then((l) => l.items.filter((c) => c.metadata?.name !== "kube-root-ca.crt")),
        // The record key is kept on purpose (helm.sh/resource-policy: keep): a reinstall on the
        // same NATS buckets must still verify its job records.
        core
          .listNamespacedSecret({ namespace: NS })
          .then((l) => l.items.filter((s) => s.metadata?.name !== `${RELEASE}-record-key`)),
        core
          .listNamespacedServiceAccount({ namespace: NS })
          .then((l) => l.items.filter((s) => s.metadata?.name !== "default")),
        policy.listNamespacedPodDisruptionBudget({ namespace: NS }).then((l) => l.items),
        net.listNamespacedNetworkPolicy({ namespace: NS }).then((l) => l.items),
        autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: NS }).then((l) => l.items),
        custom
          .listNamespacedCustomObject({
            group: "keda.sh",
            version: "v1alpha1",
            namespace: NS,
            plural: "scaledobjects",
          })
          .then((l) => (l as { items: k8s.KubernetesObject[] }).items),
      ]);
      return lists.flat().map((o) => `${o.kind ?? ""}/${o.metadata?.name}`);
    };
    const left = await waitFor(
      "nothing of the release left",
      async () => {
        const l = await leftovers();
        return l.length === 0 ? l : undefined;
      },
      90_000,
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}; left: ${(await leftovers()).join(", ")}`);
    });
    expect(left).toEqual([]);
    await core.readNamespacedSecret({ name: `${RELEASE}-record-key`, namespace: NS });
  }, 240_000);
});
