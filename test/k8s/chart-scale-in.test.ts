/**
 * Scale-in with a task in flight, on the control plane (issue 30). charts/adq installed by the
 * real helm into the test control plane (test/k8s/cluster.ts; kwok kubelets), and the pods of
 * the coordinator and of every stage run as real processes (pod-processes.ts: each pod's own
 * args, ConfigMap, Secrets and volumes; SIGTERM when the pod is deleted, SIGKILL after its
 * terminationGracePeriodSeconds) against a real nats-server. Features runs two pods whose
 * tasks last 4 s (ADQ_TEST_TASK_DELAY_MS through the chart's extraEnv) with a 1 s drain
 * (`drainSeconds`). While both run a task, the Deployment's scale subresource goes 2 → 1 —
 * what the HPA writes on scale-in — and the ReplicaSet controller deletes a pod: its process
 * must hand the task back (NAK) or finish it within the pod's grace period and exit 0, the
 * other pod redoes it long before the ack wait (10 min here, so only the hand-back explains
 * it), and the job succeeds with the manifest `adq compress` writes, byte for byte.
 *
 * Not covered here: the HPA computing that scale-in from KEDA's metric (chart-install.test.ts
 * covers KEDA scaling); images, GPUs (GPU pods run on the CPU), container isolation.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompressionClient } from "@adq/service-common";
import { hashApiKey } from "@adq/service-common/testing";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogLine } from "../cluster/procs.ts";
import { demoSlice } from "../e2e/helpers.ts";
import { download, referenceCompress, watchToEnd } from "../services/helpers.ts";
import { type NatsServer, startNatsServer } from "../support/nats-server.ts";
import { type Cluster, helm, startCluster, waitFor } from "./cluster.ts";
import { type PodProcesses, runPodProcesses } from "./pod-processes.ts";
import { STAGES } from "./render.ts";
import { CHART_DIR, K8S_TESTS_OFF } from "./tools.ts";

const NS = "adq";
const RELEASE = "adq";
const KEY = "scale-in-k8s-key";
const TASK_MS = 4000;

describe.skipIf(K8S_TESTS_OFF)(
  "scale-in of a stage Deployment with a task in flight (control plane + real processes)",
  () => {
    let cluster: Cluster;
    let nats: NatsServer;
    let pods: PodProcesses;
    let apps: k8s.AppsV1Api;
    let data: string;

    beforeAll(async () => {
      nats = await startNatsServer();
      cluster = await startCluster();
      const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
      apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
      await cluster.addNode({ name: "cpu-1", labels: { pool: "cpu" } });
      await cluster.addNode({
        name: "gpu-1",
        labels: { pool: "gpu", "nvidia.com/gpu.present": "true" },
        capacity: { "nvidia.com/gpu": "4" },
        taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }],
      });
      // No restricted Pod Security here: the data set is a hostPath volume (the same path on
      // this machine, where the processes run).
      await core.createNamespace({ body: { metadata: { name: NS } } });
      data = demoSlice(2, 4);
      const values = join(cluster.dir, "values.json");
      await writeFile(
        values,
        JSON.stringify({
          security: { acknowledgeInsecure: true },
          nats: { url: nats.url },
          apiKeys: { tenants: [{ id: "acme", keys: [hashApiKey(KEY)] }] },
          autoscaling: { engine: "none" },
          // Only the hand-back (NAK) can explain a redelivery within this test.
          cluster: { ackWaitMs: 600_000 },
          storage: { data: { type: "hostPath", hostPath: data, mountPath: data } },
          controller: { enabled: false },
          // 2 images per features task: 4 tasks, so both features pods get one.
          coordinator: { extraArgs: ["--shard-size", "2"] },
          stages: {
            features: {
              replicas: 2,
              drainSeconds: 1,
              extraEnv: [{ name: "ADQ_TEST_TASK_DELAY_MS", value: String(TASK_MS) }],
            },
          },
        }),
      );
      await helm(
        cluster.tools,
        ["install", RELEASE, CHART_DIR, "--namespace", NS, "-f", values],
        cluster.kubeconfig,
      );
      pods = runPodProcesses({
        core,
        namespace: NS,
        selector: `app.kubernetes.io/instance=${RELEASE}`,
        components: ["coordinator", ...STAGES],
        dir: await mkdtemp(join(tmpdir(), "adq-pods-")),
      });
    }, 240_000);

    afterAll(async () => {
      await pods?.stop();
      await cluster?.stop();
      await nats?.stop();
    }, 120_000);

    it("the deleted pod hands its task back within its grace period and exits 0; the job succeeds with adq compress's manifest", async () => {
      const live = await waitFor(
        "coordinator, 2 features and one process per other stage listening",
        async () => {
          const want = { coordinator: 1, features: 2, binning: 1, scoring: 1, sampling: 1, assemble: 1 };
          const ok = Object.entries(want).every(([c, n]) => pods.live(c).length === n);
          return ok ? Promise.all([...pods.byPod.values()].map((p) => p.proc)) : undefined;
        },
        240_000,
      );
      expect(live).toHaveLength(7);
      const coordinator = await pods.live("coordinator")[0]!.proc;
      const client = new CompressionClient(coordinator.address, { apiKey: KEY, timeoutMs: 10_000 });
      try {
        const { job } = await client.createJob({
          dataset: { uri: `file://${data}` },
          params: { ratio: 0.25, bins: 2, seed: 5, method: "METHOD_ADQ_PAPER" },
        });
        const features = pods.live("features");
        const started = (id: string) => (l: LogLine) =>
          l.event === "task_started" && l.job_id === id && l.stage === "features";
        // Both features pods run a task (4 s each).
        const firsts = await Promise.all(
          features.map(async (p) => (await p.proc).waitForLog(started(job.id), 60_000, "a features task")),
        );
        // Scale-in as the HPA does it: the Deployment's scale subresource, 2 → 1.
        await apps.patchNamespacedDeploymentScale(
          { name: `${RELEASE}-features`, namespace: NS, body: { spec: { replicas: 1 } } },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        const gone = await waitFor(
          "one features pod deleted and its process signalled",
          async () => features.find((p) => !pods.live("features").includes(p)),
          60_000,
        );
        const stayed = features.find((p) => p !== gone)!;
        const end = await pods.terminated(gone.pod);
        expect(end.exit).toEqual({ code: 0, signal: null });
        expect(end.ms).toBeLessThan(end.graceSeconds * 1000); // never SIGKILLed
        expect(end.graceSeconds).toBe(21); // drainSeconds + 20, from the pod spec
        const leaving = await gone.proc;
        const mine = firsts[features.indexOf(gone)]!;
        const finished = leaving.find(
          (l) => l.event === "task_finished" && l.job_id === job.id && l.task_key === mine.task_key,
        );
        // 1 s drain, 4 s task: handed back (aborted + NAK), never left to the 10-minute ack wait.
        expect(finished.map((l) => l.outcome)).toEqual(["aborted"]);
        const redone = await (await stayed.proc).waitForLog(
          (l) => started(job.id)(l) && l.task_key === mine.task_key,
          60_000,
          "the handed-back task redone by the remaining pod",
        );
        expect(redone.attempt).toBe(2);
        const last = (await watchToEnd(client, job.id)).at(-1)!;
        expect(last.terminal?.state, JSON.stringify(last.terminal)).toBe("JOB_STATE_SUCCEEDED");
        // The reference after the job, not beside it: the machine is small.
        const ref = referenceCompress(data, [
          "--method",
          "adq-paper",
          "--ratio",
          "0.25",
          "--bins",
          "2",
          "--seed",
          "5",
        ]);
        await ref.done;
        const manifest = await download(client, job.id, "manifest.json");
        expect(manifest.equals(readFileSync(join(ref.out, "manifest.json")))).toBe(true);
        expect(pods.live("features")).toHaveLength(1);
      } finally {
        client.close();
      }
    }, 480_000);
  },
);
