/**
 * The part of a kubelet the chart tests need to see the chart's processes work together on
 * the control plane of test/k8s/cluster.ts (where kwok marks pods Running but runs nothing):
 * for each pod of the chosen components that is scheduled and Running, this starts the real
 * process its container describes — `node bin/adq.mjs` with the pod's own args, `$(VAR)`s
 * expanded from its env (ConfigMap and Secret references read from the API server), and its
 * Secret, ConfigMap, emptyDir and hostPath volumes materialised in a temp dir — and when the
 * pod is deleted (a scale-in, a rollout) it does what the kubelet does: SIGTERM, then SIGKILL
 * once the pod's terminationGracePeriodSeconds has passed.
 *
 * What differs from a node, on purpose: every process runs on this machine, so ports are 0
 * (free ports), gRPC binds 127.0.0.1, ONNX Runtime runs on the CPU (`--execution-provider cpu`
 * instead of the GPU pods' cuda, with `--threads 1`); no image, no container isolation, no
 * resource limits, no probes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { type ServiceProcess, startService } from "../cluster/procs.ts";

export interface PodProcess {
  pod: string;
  component: string;
  proc: Promise<ServiceProcess & { address: string }>;
  /** Set once the pod was deleted and its process signalled. */
  terminated?: {
    /** ms from SIGTERM to exit */
    ms: number;
    graceSeconds: number;
    exit: { code: number | null; signal: NodeJS.Signals | null };
  };
}

export interface PodProcesses {
  readonly byPod: ReadonlyMap<string, PodProcess>;
  /** The processes of `component` whose pods are live. */
  live(component: string): PodProcess[];
  /** Resolves when the pod's process has exited after its pod was deleted. */
  terminated(pod: string): Promise<NonNullable<PodProcess["terminated"]>>;
  stop(): Promise<void>;
}

const FLAG_OVERRIDES: Record<string, string> = {
  "--port": "0",
  "--metrics-port": "0",
  "--host": "127.0.0.1",
};

export function runPodProcesses(o: {
  core: k8s.CoreV1Api;
  namespace: string;
  /** Label selector of the release's pods. */
  selector: string;
  /** Values of the label app.kubernetes.io/component to run. */
  components: string[];
  dir: string;
  pollMs?: number;
}): PodProcesses {
  const byPod = new Map<string, PodProcess>();
  const waiters = new Map<string, Array<(t: NonNullable<PodProcess["terminated"]>) => void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const configMap = async (name: string) =>
    (await o.core.readNamespacedConfigMap({ name, namespace: o.namespace })).data ?? {};
  const secret = async (name: string) =>
    Object.fromEntries(
      Object.entries((await o.core.readNamespacedSecret({ name, namespace: o.namespace })).data ?? {}).map(
        ([k, v]) => [k, Buffer.from(v, "base64")],
      ),
    );

  const start = async (pod: k8s.V1Pod) => {
    const name = pod.metadata!.name!;
    const c = pod.spec!.containers[0]!;
    const root = join(o.dir, name);
    // Volumes: mountPath → a local directory with the same content.
    const mounts: Array<[string, string]> = [];
    for (const m of c.volumeMounts ?? []) {
      const v = pod.spec!.volumes?.find((x) => x.name === m.name);
      if (!v) continue;
      if (v.hostPath) {
        mounts.push([m.mountPath, v.hostPath.path]);
        continue;
      }
      const local = join(root, m.name);
      mkdirSync(local, { recursive: true });
      const files = v.secret
        ? await secret(v.secret.secretName!)
        : v.configMap
          ? await configMap(v.configMap.name!)
          : {};
      for (const [k, data] of Object.entries(files)) writeFileSync(join(local, k), data);
      mounts.push([m.mountPath, local]);
    }
    mounts.sort((a, b) => b[0].length - a[0].length);
    const local = (s: string) => {
      for (const [from, to] of mounts)
        if (s === from || s.startsWith(`${from}/`)) return to + s.slice(from.length);
      return s;
    };
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      const sk = e.valueFrom?.secretKeyRef;
      const v = cm
        ? (await configMap(cm.name!))[cm.key]
        : sk
          ? (await secret(sk.name!))[sk.key]?.toString("utf8")
          : e.value;
      if (v !== undefined) env[e.name] = local(v);
    }
    const expand = (s: string) => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, k: string) => env[k] ?? m);
    const args: string[] = [];
    const given = (c.args ?? []).map(expand);
    for (let i = 0; i < given.length; i++) {
      const a = given[i]!;
      if (a === "--require-execution-provider") continue;
      if (a === "--execution-provider") {
        i++; // the GPU pods' cuda: this machine has no GPU
        continue;
      }
      if (a in FLAG_OVERRIDES) {
        args.push(a, FLAG_OVERRIDES[a]!);
        i++;
        continue;
      }
      args.push(local(a));
    }
    args.push("--execution-provider", "cpu", "--threads", "1");
    const component = pod.metadata!.labels!["app.kubernetes.io/component"]!;
    const p: PodProcess = { pod: name, component, proc: startService(`pod-${name}`, args, env) };
    p.proc.catch(() => {}); // surfaced by whoever awaits it
    byPod.set(name, p);
  };

  const terminate = (p: PodProcess, graceSeconds: number) => {
    void p.proc.then(async (proc) => {
      const t0 = Date.now();
      const exit = await proc.stop(graceSeconds * 1000);
      p.terminated = { ms: Date.now() - t0, graceSeconds, exit };
      for (const w of waiters.get(p.pod) ?? []) w(p.terminated);
      waiters.delete(p.pod);
    });
  };

  const grace = new Map<string, number>();
  const sync = async () => {
    const pods = (await o.core.listNamespacedPod({ namespace: o.namespace, labelSelector: o.selector }))
      .items;
    const seen = new Set<string>();
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      const component = pod.metadata?.labels?.["app.kubernetes.io/component"] ?? "";
      if (!o.components.includes(component)) continue;
      grace.set(name, pod.spec?.terminationGracePeriodSeconds ?? 30);
      if (pod.metadata?.deletionTimestamp) continue;
      seen.add(name);
      if (!byPod.has(name) && pod.spec?.nodeName && pod.status?.phase === "Running") await start(pod);
    }
    for (const p of byPod.values())
      if (!seen.has(p.pod) && !p.terminated && !terminating.has(p.pod)) {
        terminating.add(p.pod);
        terminate(p, grace.get(p.pod) ?? 30);
      }
  };
  const terminating = new Set<string>();
  const loop = async () => {
    if (stopped) return;
    await sync().catch(() => {}); // an API hiccup: next round
    if (!stopped) timer = setTimeout(() => void loop(), o.pollMs ?? 300);
  };
  void loop();

  return {
    byPod,
    live: (component) =>
      [...byPod.values()].filter((p) => p.component === component && !terminating.has(p.pod)),
    terminated(pod) {
      const p = byPod.get(pod);
      if (p?.terminated) return Promise.resolve(p.terminated);
      return new Promise((resolve) => {
        const l = waiters.get(pod) ?? [];
        l.push(resolve);
        waiters.set(pod, l);
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all(
        [...byPod.values()].map(async (p) => {
          const proc = await p.proc.catch(() => undefined);
          await proc?.stop(5000);
        }),
      );
    },
  };
}
