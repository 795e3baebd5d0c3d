/**
 * The chart's production security model, installed with the real helm on the real control
 * plane (test/k8s/cluster.ts) and run: a NATS identity per role on a nats-server enforcing
 * deploy/nats/adq-auth.conf, a certificate per role with mutual TLS (the controller presents
 * its own client certificate), the chart's record key. No kubelet runs here, so each installed
 * Deployment is started the way a kubelet would start its container: the pod template read back
 * from the API server, every Secret volume written to a directory of its own, the container's
 * arguments run by `adq` with the mount paths pointing there. A CompressionJob then runs end to end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { hashApiKey } from "@adq/service-common/testing";
import * as k8s from "@kubernetes/client-node";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../e2e/cli.ts";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { type NatsServer, startNatsServer } from "../support/nats-server.ts";
import { type Cluster, helm, makeServingCert, startCluster, waitFor } from "./cluster.ts";
import { localArgs, type Obj, STAGES } from "./render.ts";
import { CHART_DIR, K8S_TESTS_OFF } from "./tools.ts";

const NS = "adq";
const RELEASE = "adq";
const KEY = "acme-secure-key";
const ROLES = ["gateway", "coordinator", ...STAGES] as const;
const natsUser = (role: string) =>
  role === "gateway" || role === "coordinator" ? "adq-gateway" : `adq-worker-${role}`;
const G = { group: "adq.dev", version: "v1alpha1", plural: "compressionjobs" };

describe.skipIf(K8S_TESTS_OFF)("the chart's security model, installed and run", () => {
  let cluster: Cluster;
  let nats: NatsServer;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let data: string;
  let dir: string;
  let gateway = "";
  let notes = "";
  const procs: { name: string; child: ChildProcess; log: () => string }[] = [];

  beforeAll(async () => {
    dir = tmp("adq-chart-secure-");
    data = demoSlice(2, 12);
    const passwords = Object.fromEntries(
      ["adq-gateway", ...STAGES.map((s) => `adq-worker-${s}`)].map((u) => [u, `${u}-pw-${process.pid}`]),
    );
    nats = await startNatsServer({
      config: resolve(REPO_ROOT, "deploy/nats/adq-auth.conf"),
      env: Object.fromEntries(
        Object.entries(passwords).map(([u, p]) => [
          `ADQ_NATS_${u.replace(/^adq-/, "").replace("-", "_").toUpperCase()}_PASSWORD`,
          p,
        ]),
      ),
    });
    cluster = await startCluster({ kwok: false });
    core = cluster.kc.makeApiClient(k8s.CoreV1Api);
    apps = cluster.kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    // What a platform team provides: a NATS password and a certificate per role (cert-manager's
    // Secret layout: tls.crt, tls.key, ca.crt), the controller's a client certificate.
    for (const role of [...ROLES, "controller", "test"]) {
      const certDir = join(dir, "certs", role);
      await makeServingCert(cluster, certDir, `${RELEASE}-${role}`, [
        `DNS:${RELEASE}-${role}`,
        "DNS:localhost",
        "IP:127.0.0.1",
      ]);
      const { readFileSync } = await import("node:fs");
      await core.createNamespacedSecret({
        namespace: NS,
        body: {
          metadata: { name: `${RELEASE}-${role}-tls` },
          type: "kubernetes.io/tls",
          stringData: Object.fromEntries(
            ["tls.crt", "tls.key", "ca.crt"].map((f) => [f, readFileSync(join(certDir, f), "utf8")]),
          ),
        },
      });
      if (role !== "controller" && role !== "test")
        await core.createNamespacedSecret({
          namespace: NS,
          body: {
            metadata: { name: `${RELEASE}-nats-${role}` },
            stringData: { password: passwords[natsUser(role)]! },
          },
        });
    }
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: "adq-test-key" }, stringData: { apiKey: KEY } },
    });
    const values = join(dir, "values.json");
    writeFileSync(
      values,
      JSON.stringify({
        nats: { url: nats.url, auth: { type: "password" } },
        grpcTls: { enabled: true, clientAuth: true },
        apiKeys: { tenants: [{ id: "acme", keys: [hashApiKey(KEY)] }] },
        storage: { data: { type: "hostPath", hostPath: "/srv/datasets" } },
        autoscaling: { engine: "none" },
        stages: { features: { gpu: { enabled: false } }, sampling: { gpu: { enabled: false } } },
        controller: { replicas: 1, pollMs: 300 },
        // helm test: the health check and a tiny job as the tenant of this Secret.
        tests: { job: { apiKeySecret: "adq-test-key", dataset: `file://${data}`, ratio: 0.25 } },
      }),
    );
    const { stdout } = await helm(
      cluster.tools,
      ["install", RELEASE, CHART_DIR, "--namespace", NS, "-f", values],
      cluster.kubeconfig,
    );
    notes = stdout;
  }, 240_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await cluster?.stop();
    await nats?.stop();
  }, 60_000);

  /** Writes every Secret volume of the pod template into its own directory; mount path → directory. */
  async function mountSecrets(name: string, pod: k8s.V1PodSpec): Promise<Map<string, string>> {
    const mounts = new Map<string, string>();
    const container = pod.containers[0]!;
    for (const v of pod.volumes ?? []) {
      const m = container.volumeMounts?.find((x) => x.name === v.name);
      if (!m) continue;
      if (v.hostPath) {
        mounts.set(m.mountPath, data); // the data sets of a node
        continue;
      }
      if (!v.secret) continue;
      const secret = await core.readNamespacedSecret({ name: v.secret.secretName!, namespace: NS });
      const target = join(dir, "pods", name, v.name);
      mkdirSync(target, { recursive: true });
      const items = v.secret.items ?? Object.keys(secret.data ?? {}).map((key) => ({ key, path: key }));
      for (const it of items)
        writeFileSync(join(target, it.path), Buffer.from(secret.data?.[it.key] ?? "", "base64"));
      mounts.set(m.mountPath, target);
    }
    return mounts;
  }

  /** Starts a Deployment's container as a local process, as the kubelet would start it. */
  async function startDeployment(name: string, extra: string[] = []) {
    const d = await apps.readNamespacedDeployment({ name, namespace: NS });
    return startPod(name, d.spec!.template.spec!, extra);
  }

  /** Runs a pod spec's container as a local process: its Secrets as files, its env, its args. */
  async function startPod(name: string, pod: k8s.V1PodSpec, extra: string[] = [], server?: string) {
    const c = pod.containers[0]!;
    const mounts = await mountSecrets(name, pod);
    const cm = (await core.readNamespacedConfigMap({ name: `${RELEASE}-config`, namespace: NS })).data ?? {};
    const env: Record<string, string> = { ...process.env } as Record<string, string>;
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.configMapKeyRef) env[e.name] = cm[e.valueFrom.configMapKeyRef.key] ?? "";
      else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        const sec = await core.readNamespacedSecret({ name: ref.name!, namespace: NS });
        env[e.name] = Buffer.from(sec.data?.[ref.key] ?? "", "base64").toString();
      }
    }
    env.XDG_CACHE_HOME = join(dir, "pods", name, "cache");
    env.TMPDIR = join(dir, "pods", name, "tmp");
    mkdirSync(env.TMPDIR, { recursive: true });
    const args = localArgs(
      c.args ?? [],
      env,
      {
        "--port": "0",
        "--metrics-port": "0",
        "--host": "127.0.0.1",
        ...(server ? { "--server": server } : {}), // the Service's name resolves nowhere here
      },
      (a) => {
        for (const [path, local] of mounts)
          if (a === path || a.startsWith(`${path}/`)) return local + a.slice(path.length);
        return a;
      },
    );
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "adq.mjs"), ...args, ...extra], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout?.on("data", (b) => {
      log += b;
    });
    child.stderr?.on("data", (b) => {
      log += b;
    });
    const p = { name, child, log: () => log, args };
    procs.push(p);
    return p;
  }

  it("helm install renders the secure release: its NOTES name no insecure setting; each pod mounts only its own role's Secrets", async () => {
    expect(notes).toMatch(/TLS, client certificates required/);
    expect(notes).not.toMatch(/INSECURE/);
    for (const role of [...ROLES, "controller"]) {
      const d = await apps.readNamespacedDeployment({ name: `${RELEASE}-${role}`, namespace: NS });
      const secrets = (d.spec!.template.spec!.volumes ?? [])
        .filter((v) => v.secret)
        .map((v) => v.secret!.secretName!)
        .filter((s) => s.endsWith("-tls") || s.includes("-nats-"));
      expect(secrets.sort()).toEqual(
        role === "controller" ? ["adq-controller-tls"] : [`adq-nats-${role}`, `adq-${role}-tls`].sort(),
      );
    }
    // The chart's record key, generated at install.
    const rk = await core.readNamespacedSecret({ name: `${RELEASE}-record-key`, namespace: NS });
    expect(Buffer.from(rk.data?.["record.key"] ?? "", "base64").length).toBe(64);
  });

  it("every role starts with its own NATS identity and certificate; a CompressionJob runs end to end through the mTLS gateway", async () => {
    const listening = (p: (typeof procs)[number]) =>
      waitFor(
        `${p.name} listening`,
        async () => {
          if (p.child.exitCode !== null) throw new Error(`${p.name} exited ${p.child.exitCode}: ${p.log()}`);
          return /listening on (\S+)/.exec(p.log())?.[1];
        },
        60_000,
      );
    const gw = await startDeployment(`${RELEASE}-gateway`);
    gateway = await listening(gw);
    const others = [];
    for (const role of ROLES.slice(1)) others.push(await startDeployment(`${RELEASE}-${role}`));
    await Promise.all(others.map(listening));
    for (const p of [gw, ...others]) {
      expect(p.log()).not.toMatch(/job_records_unsigned/);
      expect(p.log()).not.toMatch(/grpc_plaintext/);
    }
    const certs = join(dir, "certs", "controller");
    const tlsFlags = ["--tls-ca", join(certs, "ca.crt"), "--tls-server-name", `${RELEASE}-gateway`];
    // mTLS: without a client certificate the gateway refuses the connection.
    const anon = await runCli(["health", "--server", gateway, "--timeout-ms", "5000", ...tlsFlags]);
    expect(anon.code).toBe(1);
    expect(anon.stdout).toBe("");
    const withCert = await runCli([
      "health",
      "--server",
      gateway,
      ...tlsFlags,
      "--tls-cert",
      join(certs, "tls.crt"),
      "--tls-key",
      join(certs, "tls.key"),
    ]);
    expect(withCert.stdout).toBe(`${gateway}: SERVING\n`);
    expect(withCert.code).toBe(0);

    // The controller: its rendered arguments, with a kubeconfig instead of the in-cluster token
    // and the gateway's local address under its Service name.
    const ctl2 = await startDeployment(`${RELEASE}-controller`, [
      "--kubeconfig",
      cluster.kubeconfig,
      "--tls-server-name",
      `${RELEASE}-gateway`,
      "--gateway", // the Service's address, rendered before it, is not reachable from here
      gateway,
      "--metrics-host",
      "127.0.0.1",
    ]);
    const i = ctl2.args.indexOf("--gateway");
    expect(ctl2.args[i + 1]).toBe(`${RELEASE}-gateway:50051`);
    expect(ctl2.args).toContain("--tls-cert");
    await core.createNamespace({ body: { metadata: { name: "team-a" } } });
    await core.createNamespacedSecret({
      namespace: "team-a",
      body: { metadata: { name: "adq-tenant" }, stringData: { apiKey: KEY } },
    });
    const custom = cluster.kc.makeApiClient(k8s.CustomObjectsApi);
    const cj = (name: string, labels: Record<string, string> = {}) => ({
      apiVersion: "adq.dev/v1alpha1",
      kind: "CompressionJob",
      metadata: { name, namespace: "team-a", labels },
      spec: {
        dataset: { uri: `file://${data}` },
        params: { ratio: 0.25, bins: 2, seed: 3, method: "adq-paper" },
        apiKeySecretRef: { name: "adq-tenant" },
      },
    });
    // Another installation's object (controller.instance "other"): this controller leaves it alone.
    await custom.createNamespacedCustomObject({
      ...G,
      namespace: "team-a",
      body: cj("theirs", { "adq.dev/controller": "other" }),
    });
    await custom.createNamespacedCustomObject({
      ...G,
      namespace: "team-a",
      body: {
        apiVersion: "adq.dev/v1alpha1",
        kind: "CompressionJob",
        metadata: { name: "secure", namespace: "team-a" },
        spec: {
          dataset: { uri: `file://${data}` },
          params: { ratio: 0.25, bins: 2, seed: 3, method: "adq-paper" },
          apiKeySecretRef: { name: "adq-tenant" },
        },
      },
    });
    // biome-ignore lint/suspicious/noExplicitAny: the object's status is checked field by field
    const done: any = await waitFor(
      "CompressionJob team-a/secure Succeeded",
      async () => {
        if (ctl2.child.exitCode !== null) throw new Error(`controller exited: ${ctl2.log()}`);
        // biome-ignore lint/suspicious/noExplicitAny: as above
        const o: any = await custom.getNamespacedCustomObject({ ...G, namespace: "team-a", name: "secure" });
        if (o.status?.phase === "Failed") throw new Error(`Failed: ${JSON.stringify(o.status)}`);
        return o.status?.phase === "Succeeded" ? o : undefined;
      },
      150_000,
    ).catch((e) => {
      throw new Error(
        `${(e as Error).message}\n${procs.map((p) => `--- ${p.name}\n${p.log().slice(-1500)}`).join("\n")}`,
      );
    });
    expect(done.status.jobId).toMatch(/^job-/);
    // The tenant's own client (with a client certificate) sees the job the controller made.
    const w = await runCli(
      [
        "watch",
        done.status.jobId,
        "--server",
        gateway,
        "--api-key",
        KEY,
        ...tlsFlags,
        "--tls-cert",
        join(certs, "tls.crt"),
        "--tls-key",
        join(certs, "tls.key"),
      ],
      { timeoutMs: 60_000 },
    );
    expect(w.stdout).toBe(`job ${done.status.jobId} succeeded: selected 6 of 24 images\n`);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const theirs: any = await custom.getNamespacedCustomObject({ ...G, namespace: "team-a", name: "theirs" });
    expect(theirs.status).toBeUndefined();
    expect(theirs.metadata.finalizers).toBeUndefined();

    // The controller's /healthz (its probes) and /metrics.
    const url = /"metrics":"(http:[^"]+)"/.exec(ctl2.log())?.[1] ?? "";
    expect(url).toMatch(/^http:/);
    expect((await fetch(url.replace(/\/metrics$/, "/healthz"))).status).toBe(200);
    const m = await (await fetch(url)).text();
    expect(m).toContain("adq_controller_leader 1");
    expect(m).toContain('adq_compressionjobs{phase="Succeeded"} 1');
    expect(m).toMatch(/adq_controller_reconciles_total\{result="ok"\} [1-9]/);

    // helm test: its pods are run here as the kubelet would (their Secrets, env and args; the
    // gateway's local address for its Service name), and their exit becomes the pod's phase.
    const ran = new Set<string>();
    let stop = false;
    const kubelet = (async () => {
      while (!stop) {
        const pods = await core.listNamespacedPod({
          namespace: NS,
          labelSelector: "app.kubernetes.io/component=test",
        });
        for (const pod of pods.items) {
          const n = pod.metadata!.name!;
          const key = `${n}/${pod.metadata!.uid}`;
          if (ran.has(key) || pod.metadata?.deletionTimestamp) continue;
          ran.add(key);
          const proc = await startPod(n, pod.spec!, [], gateway);
          proc.child.once("exit", (code) => {
            void core
              .patchNamespacedPodStatus(
                {
                  name: n,
                  namespace: NS,
                  body: { status: { phase: code === 0 ? "Succeeded" : "Failed" } },
                },
                k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
              )
              .catch(() => {});
          });
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const ht = await helm(cluster.tools, ["test", RELEASE, "-n", NS, "--timeout", "150s"], cluster.kubeconfig)
      .catch((e) => {
        throw new Error(
          `${(e as Error).message}\n${procs
            .filter((p) => p.name.includes("-test-"))
            .map((p) => `--- ${p.name}\n${p.log().slice(-1500)}`)
            .join("\n")}`,
        );
      })
      .finally(() => {
        stop = true;
      });
    await kubelet;
    expect(ht.stdout).toMatch(/TEST SUITE:\s+adq-test-health\n[\s\S]*?Phase:\s+Succeeded/);
    expect(ht.stdout).toMatch(/TEST SUITE:\s+adq-test-job\n[\s\S]*?Phase:\s+Succeeded/);
    const jobLog = procs.find((p) => p.name === "adq-test-job")!.log();
    expect(jobLog).toMatch(/succeeded: selected 6 of 24 images/);

    // Uninstall: once the controller is gone, the post-delete hook's command releases its
    // finalizers, so deleting the object does not hang.
    ctl2.child.kill("SIGTERM");
    await new Promise((r) => ctl2.child.once("exit", r));
    const hooks = await helm(cluster.tools, ["get", "hooks", RELEASE, "-n", NS], cluster.kubeconfig);
    const hookArgs = (yaml.loadAll(hooks.stdout) as Obj[]).find((o) => o?.kind === "Job")?.spec.template.spec
      .containers[0].args as string[];
    expect(hookArgs.slice(0, 2)).toEqual(["controller", "--release-finalizers"]);
    const rel = await runCli([...hookArgs, "--kubeconfig", cluster.kubeconfig], { timeoutMs: 30_000 });
    expect(rel.stdout).toBe("adq controller: released 1 CompressionJob(s)\n");
    await custom.deleteNamespacedCustomObject({ ...G, namespace: "team-a", name: "secure" });
    await waitFor("the deleted CompressionJob to be gone", async () => {
      try {
        await custom.getNamespacedCustomObject({ ...G, namespace: "team-a", name: "secure" });
        return undefined;
      } catch (e) {
        return (e as { code?: number }).code === 404 ? true : undefined;
      }
    });
  }, 300_000);
});
