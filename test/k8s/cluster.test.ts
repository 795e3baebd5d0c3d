/**
 * The control-plane harness itself (test/k8s/cluster.ts): it comes up, schedules a pod onto a
 * kwok node, refuses what the real API server refuses, and stops every process it started.
 */
import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { startCluster, waitFor } from "./cluster.ts";
import { K8S_TESTS_OFF } from "./tools.ts";

describe.skipIf(K8S_TESTS_OFF)(
  "test control plane (etcd + kube-apiserver + controllers + scheduler + kwok)",
  () => {
    it("schedules a pod onto a simulated node, reports v1.34.4, and stops every process", async () => {
      const cluster = await startCluster();
      try {
        const version = await cluster.kc.makeApiClient(k8s.VersionApi).getCode();
        expect(version.gitVersion).toBe("v1.34.4");
        await cluster.addNode({ name: "n1", capacity: { cpu: "2" } });
        const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
        /** A one-container pod (its image is never pulled: kwok runs no containers) asking for `cpu`. */
        const createPod = (name: string, cpu: string) =>
          core.createNamespacedPod({
            namespace: "default",
            body: {
              metadata: { name },
              spec: { containers: [{ name: "c", image: "never-pulled", resources: { requests: { cpu } } }] },
            },
          });
        await createPod("p1", "1");
        const pod = await waitFor("p1 Running", async () => {
          const p = await core.readNamespacedPod({ name: "p1", namespace: "default" });
          return p.status?.phase === "Running" ? p : undefined;
        });
        expect(pod.spec?.nodeName).toBe("n1");
        // A second 2-CPU pod does not fit the 2-CPU node: the real scheduler says why.
        await createPod("p2", "2");
        const msg = await waitFor("p2 Unschedulable", async () => {
          const p = await core.readNamespacedPod({ name: "p2", namespace: "default" });
          const c = p.status?.conditions?.find((x) => x.type === "PodScheduled");
          return c?.status === "False" ? c.message : undefined;
        });
        expect(msg).toMatch(/Insufficient cpu/);
      } finally {
        await cluster.stop();
      }
      const procs = cluster.processes();
      expect(procs.map((p) => p.name)).toEqual([
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kwok",
      ]);
      for (const p of procs)
        expect(p.child.exitCode !== null || p.child.signalCode !== null, p.name).toBe(true);
    }, 180_000);
  },
);
