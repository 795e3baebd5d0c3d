/**
 * charts/adq rendered by the real helm (v3.22.0, scripts/k8s-tools.sh): `helm lint --strict`
 * and `helm template` over the values files in test/k8s/values/, asserting on the objects;
 * the schema's refusals; and the rendered arguments run by today's `adq serve` against a
 * real nats-server (the chart asks only for flags the CLI has).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashApiKey } from "@adq/service-common/testing";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer } from "../support/nats-server.ts";
import { helm } from "./cluster.ts";
import {
  argValue,
  container,
  localArgs,
  type Obj,
  type Rendered,
  render,
  STAGES,
  VALUES_DIR,
} from "./render.ts";
import { CHART_DIR, K8S_TESTS_OFF, type K8sTools, k8sTools, REPO_ROOT } from "./tools.ts";

/** Values files linted together (the insecure ones with the acknowledgement they need). */
const VALUES_FILES = [
  ["insecure.yaml"],
  ["insecure.yaml", "cpu-only.yaml"],
  ["insecure.yaml", "gpu.yaml"],
  ["insecure.yaml", "keda-off.yaml"],
  ["external-secrets.yaml"],
  ["secure.yaml"],
  ["insecure.yaml", "monitoring.yaml"],
];
const INSECURE = "insecure.yaml";
const GPU_DEFAULT = new Set(["features", "sampling"]);
/** The `adq serve` Deployments (gateway, coordinator, stages); the controller has its own test. */
const serving = (r: Rendered) =>
  r.of("Deployment").filter((d: Obj) => !d.metadata.name.endsWith("-controller"));

describe.skipIf(K8S_TESTS_OFF)("helm chart charts/adq (helm lint + template)", () => {
  let tools: K8sTools;
  let def: Rendered;
  beforeAll(async () => {
    tools = k8sTools(["helm"]);
    def = await render(tools, [INSECURE]);
  });

  it("passes helm lint --strict with every test values file", async () => {
    for (const files of VALUES_FILES)
      await helm(tools, [
        "lint",
        "--strict",
        CHART_DIR,
        ...files.flatMap((f) => ["-f", join(VALUES_DIR, f)]),
        // helm lint cannot be told which APIs a cluster serves: the KEDA check is skipped here.
        "--set",
        "autoscaling.keda.skipCapabilityCheck=true",
      ]);
  });

  it("values.schema.json and the README's values table match values.yaml (generated)", () => {
    // Exits 1 naming the stale file when values.yaml changed without regenerating them.
    execFileSync("/usr/bin/python3", [join(REPO_ROOT, "scripts", "k8s-tools-schema.py"), "--check"], {
      stdio: "pipe",
    });
  });

  it("renders a gateway, a coordinator and one Deployment per stage with the CLI roles of today", () => {
    const deps = serving(def).map((d: Obj) => d.metadata.name);
    expect(deps.sort()).toEqual(["gateway", "coordinator", ...STAGES].map((c) => `t-adq-${c}`).sort());
    const gw = def.get("Deployment", "t-adq-gateway");
    expect(container(gw).args.slice(0, 5)).toEqual([
      "serve",
      "--port",
      "50051",
      "--no-workers",
      "--no-runner",
    ]);
    expect(gw.spec.replicas).toBe(2);
    const co = def.get("Deployment", "t-adq-coordinator");
    expect(container(co).args).toContain("--no-workers");
    expect(container(co).args).not.toContain("--no-runner");
    expect(argValue(co, "--tenant-stage-tasks")).toBe("4");
    expect(argValue(co, "--tenant-gpu-tasks")).toBe("2");
    expect(argValue(co, "--job-lookahead")).toBe("16");
    // Coordinators share jobs (claims) and KEDA scales them on the jobs queue, never below one.
    expect(co.spec.replicas).toBeUndefined();
    const coScaler = def.get("ScaledObject", "t-adq-coordinator");
    expect(coScaler.spec.minReplicaCount).toBe(1);
    expect(coScaler.spec.maxReplicaCount).toBe(4);
    expect(coScaler.spec.triggers[0].metadata).toMatchObject({ stream: "ADQ_TASKS", consumer: "jobs" });
    for (const [i, s] of STAGES.entries()) {
      const d = def.get("Deployment", `t-adq-${s}`);
      expect(argValue(d, "--stage")).toBe(s);
      expect(argValue(d, "--port")).toBe(String(50052 + i));
      // KEDA owns the replica count: helm must not reset it on upgrade.
      expect(d.spec.replicas).toBeUndefined();
      // Scale-in: the task in flight is finished within the drain or handed back (NAK); the
      // pod is killed only after the drain plus the process's exit margin.
      const drainS = GPU_DEFAULT.has(s) ? 300 : 60;
      expect(argValue(d, "--drain-ms")).toBe(String(drainS * 1000));
      expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(drainS + 20);
    }
    // Cluster-wide settings come from the ConfigMap, so every process agrees on them.
    const cm = def.get("ConfigMap", "t-adq-config");
    expect(cm.data).toEqual({
      ADQ_NATS_URL: "nats://nats:4222",
      ADQ_BUS_NAMESPACE: "adq",
      ADQ_ACK_WAIT_MS: "30000",
      ADQ_MAX_ATTEMPTS: "3",
      ADQ_LOG_LEVEL: "info",
    });
    for (const d of serving(def)) {
      expect(argValue(d, "--nats")).toBe("$(ADQ_NATS_URL)");
      const env = container(d).env.find((e: Obj) => e.name === "ADQ_NATS_URL");
      expect(env.valueFrom.configMapKeyRef).toEqual({ name: "t-adq-config", key: "ADQ_NATS_URL" });
      expect(argValue(d, "--host")).toBe("0.0.0.0");
      expect(argValue(d, "--api-keys")).toBe("/etc/adq/api-keys/api-keys.json");
    }
  });

  it("runs every pod restricted: non-root, read-only root, no capabilities, RuntimeDefault seccomp, writable paths as volumes", () => {
    for (const d of serving(def)) {
      const pod = d.spec.template.spec;
      const c = container(d);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      const mounts = Object.fromEntries(c.volumeMounts.map((m: Obj) => [m.mountPath, m.name]));
      expect(mounts["/tmp"]).toBe("tmp");
      expect(mounts["/var/cache/adq"]).toBe("cache");
      const vols = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v]));
      expect(vols.tmp.emptyDir).toBeDefined();
      expect(vols.cache.emptyDir).toBeDefined();
      expect(vols["api-keys"].secret.secretName).toBe("t-adq-api-keys");
      // Native gRPC probes on grpc.health.v1 (overall service "").
      const port = c.ports.find((p: Obj) => p.name === "grpc").containerPort;
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"])
        expect(c[probe].grpc).toEqual({ port, service: "" });
      expect(c.resources.requests.cpu).toBeDefined();
      expect(d.spec.template.metadata.annotations).toMatchObject({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9090",
      });
      expect(pod.topologySpreadConstraints.map((t: Obj) => t.topologyKey)).toEqual([
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
      ]);
    }
    const sa = def.get("ServiceAccount", "t-adq");
    expect(sa.automountServiceAccountToken).toBe(false);
    // Least privilege: no Role/ClusterRole for these (no `adq serve` process calls the Kubernetes
    // API); the only RBAC is the controller's, bound to its own ServiceAccount.
    for (const b of def.all.filter((o: Obj) => /RoleBinding/.test(o.kind)))
      expect(b.subjects).toEqual([
        { kind: "ServiceAccount", name: b.metadata.name.replace(/-leader$/, ""), namespace: "adq" },
      ]);
    expect(
      def.all
        .filter((o: Obj) => /RoleBinding/.test(o.kind))
        .map((b: Obj) => b.subjects[0].name)
        .sort(),
    ).toEqual(["t-adq-controller", "t-adq-controller", "t-adq-controller-cleanup"]);
    const secret = def.get("Secret", "t-adq-api-keys");
    expect(JSON.parse(secret.stringData["api-keys.json"])).toEqual({ tenants: [] });
  });

  it("puts the model stages on the GPU pool by default and the others never", () => {
    for (const s of STAGES) {
      const d = def.get("Deployment", `t-adq-${s}`);
      const pod = d.spec.template.spec;
      const c = container(d);
      if (GPU_DEFAULT.has(s)) {
        expect(c.resources.limits["nvidia.com/gpu"]).toBe("1");
        expect(pod.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
        expect(pod.tolerations).toEqual([
          { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
        ]);
        expect(argValue(d, "--execution-provider")).toBe("cuda");
        expect(c.args).toContain("--require-execution-provider");
      } else {
        expect(c.resources.limits["nvidia.com/gpu"]).toBeUndefined();
        expect(pod.nodeSelector).toBeUndefined();
        expect(pod.tolerations).toBeUndefined();
        expect(c.args).not.toContain("--execution-provider");
      }
    }
  });

  it("GPU values: counts, pool labels and extra tolerations per stage", async () => {
    const r = await render(tools, [INSECURE, "gpu.yaml"]);
    const f = r.get("Deployment", "t-adq-features");
    expect(container(f).resources.limits["nvidia.com/gpu"]).toBe("2");
    expect(f.spec.template.spec.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true", pool: "gpu" });
    // Its own image (the CUDA one, by digest), RuntimeClass and PriorityClass; no CPU fallback.
    expect(container(f).image).toBe(`registry.example.com/adq-cuda@sha256:${"2".repeat(64)}`);
    expect(container(f).imagePullPolicy).toBe("Always");
    expect(f.spec.template.spec.runtimeClassName).toBe("nvidia");
    expect(f.spec.template.spec.priorityClassName).toBe("gpu-batch");
    expect(container(f).args).toContain("--require-execution-provider");
    expect(container(f).terminationMessagePolicy).toBe("FallbackToLogsOnError");
    const b = r.get("Deployment", "t-adq-binning");
    expect(argValue(b, "--execution-provider")).toBe("cuda");
    // The others keep the chart's image, by its digest.
    for (const d of [b, r.get("Deployment", "t-adq-gateway"), r.get("Deployment", "t-adq-controller")]) {
      expect(container(d).image).toBe(`adq@sha256:${"1".repeat(64)}`);
      expect(d.spec.template.spec.runtimeClassName).toBeUndefined();
    }
    const lax = await render(tools, [INSECURE], ["stages.features.gpu.requireProvider=false"]);
    expect(container(lax.get("Deployment", "t-adq-features")).args).not.toContain(
      "--require-execution-provider",
    );
    await expect(render(tools, [INSECURE], ["image.digest=latest"])).rejects.toThrow(/\/image\/digest/);
    expect(b.spec.template.spec.tolerations.map((t: Obj) => t.key)).toEqual(["nvidia.com/gpu", "dedicated"]);
    expect(r.get("ScaledObject", "t-adq-binning").spec.minReplicaCount).toBe(0);
    const cpu = await render(tools, [INSECURE, "cpu-only.yaml"]);
    for (const s of STAGES) {
      const d = cpu.get("Deployment", `t-adq-${s}`);
      expect(container(d).resources.limits["nvidia.com/gpu"]).toBeUndefined();
      expect(cpu.get("ScaledObject", `t-adq-${s}`).spec.minReplicaCount).toBe(1);
    }
  });

  it("scales each stage on its own durable consumer with KEDA; GPU stages from zero", async () => {
    const sos = def.of("ScaledObject");
    expect(sos.map((o: Obj) => o.metadata.name).sort()).toEqual(
      [...STAGES, "coordinator"].map((s) => `t-adq-${s}`).sort(),
    );
    for (const s of STAGES) {
      const so = def.get("ScaledObject", `t-adq-${s}`);
      expect(so.spec.scaleTargetRef).toEqual({ name: `t-adq-${s}` });
      expect(so.spec.minReplicaCount).toBe(GPU_DEFAULT.has(s) ? 0 : 1);
      expect(so.spec.triggers).toEqual([
        {
          type: "nats-jetstream",
          metadata: expect.objectContaining({
            natsServerMonitoringEndpoint: "nats:8222",
            account: "$G",
            // packages/platform/src/nats/nats-bus.ts: stream `<NS>_TASKS`, durable consumer = stage
            stream: "ADQ_TASKS",
            consumer: s,
            activationLagThreshold: "0",
          }),
        },
      ]);
    }
    expect(def.of("HorizontalPodAutoscaler")).toEqual([]);
    const ns = await render(tools, [INSECURE], ["busNamespace=team-b"]);
    expect(ns.get("ScaledObject", "t-adq-features").spec.triggers[0].metadata.stream).toBe("TEAM_B_TASKS");
    expect(ns.get("ConfigMap", "t-adq-config").data.ADQ_BUS_NAMESPACE).toBe("team-b");
  });

  it("a cluster without KEDA: the default refuses with what to do; KEDA off: a CPU HPA per stage (never below one replica), no ScaledObjects", async () => {
    await expect(render(tools, [INSECURE], [], "t", [])).rejects.toThrow(
      /autoscaling.engine is keda but this cluster has no KEDA \(API keda.sh\/v1alpha1 ScaledObject\): install KEDA first, or set autoscaling.engine=hpa/,
    );
    const skipped = await render(tools, [INSECURE], ["autoscaling.keda.skipCapabilityCheck=true"], "t", []);
    expect(skipped.of("ScaledObject")).toHaveLength(6); // the stages and the coordinator
    const r = await render(tools, [INSECURE, "keda-off.yaml"], [], "t", []);
    expect(r.of("ScaledObject")).toEqual([]);
    const hpas = r.of("HorizontalPodAutoscaler");
    expect(hpas).toHaveLength(5);
    for (const s of STAGES) {
      const h = r.get("HorizontalPodAutoscaler", `t-adq-${s}`);
      expect(h.spec.scaleTargetRef).toEqual({
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: `t-adq-${s}`,
      });
      expect(h.spec.minReplicas).toBe(1);
      expect(h.spec.metrics[0].resource).toEqual({
        name: "cpu",
        target: { type: "Utilization", averageUtilization: 70 },
      });
    }
    const none = await render(tools, [INSECURE], ["autoscaling.engine=none", "stages.scoring.replicas=3"]);
    expect(none.of("HorizontalPodAutoscaler")).toEqual([]);
    expect(none.get("Deployment", "t-adq-scoring").spec.replicas).toBe(3);
  });

  it("refuses plaintext gRPC or NATS without credentials unless acknowledged; acknowledged, says so in the args and NOTES", async () => {
    await expect(render(tools)).rejects.toThrow(/nats.auth.type is none.*security.acknowledgeInsecure=true/);
    await expect(render(tools, [], ["nats.auth.type=password"])).rejects.toThrow(
      /grpcTls.enabled is false: every gRPC port.*security.acknowledgeInsecure=true/,
    );
    for (const d of serving(def)) {
      for (const f of [
        "--tls-cert",
        "--tls-key",
        "--tls-client-ca",
        "--nats-creds",
        "--nats-user",
        "--nats-tls-ca",
      ])
        expect(container(d).args).not.toContain(f);
      expect(container(d).args).toContain("--plaintext");
      expect(container(d).args).toContain("--insecure-nats");
    }
  });

  it("secure values: a NATS identity, a certificate and a Secret per role, the record key only where job records are held", async () => {
    const r = await render(tools, ["secure.yaml"]);
    const user = (c: string) =>
      GPU_DEFAULT.has(c) || STAGES.includes(c as never) ? `adq-worker-${c}` : "adq-gateway";
    for (const d of serving(r)) {
      const role = d.metadata.labels["app.kubernetes.io/component"];
      const pod = d.spec.template.spec;
      const secrets = pod.volumes
        .filter((v: Obj) => v.secret)
        .map((v: Obj) => v.secret.secretName)
        .sort();
      const own = [`t-adq-${role}-tls`, `t-adq-nats-${role}`, "t-adq-api-keys"];
      if (role === "gateway" || role === "coordinator") {
        own.push("t-adq-record-key");
        expect(argValue(d, "--record-key-file")).toBe("/etc/adq/record-key/record.key");
      } else expect(container(d).args).not.toContain("--record-key-file");
      // Only its own: no other role's key or NATS password is mounted.
      expect(secrets).toEqual(own.sort());
      expect(argValue(d, "--nats-user")).toBe(user(role));
      expect(argValue(d, "--nats-password-file")).toBe("/etc/adq/nats-auth/password");
      expect(argValue(d, "--tls-client-ca")).toBe("/etc/adq/tls/ca.crt");
      expect(container(d).args).not.toContain("--insecure-nats");
      expect(container(d).args).not.toContain("--plaintext");
    }
    const certs = r.of("Certificate");
    expect(certs.map((c: Obj) => c.spec.secretName).sort()).toEqual(
      ["gateway", "coordinator", ...STAGES, "controller", "test"].map((c) => `t-adq-${c}-tls`).sort(),
    );
    const gw = r.get("Certificate", "t-adq-gateway");
    expect(gw.spec.dnsNames).toEqual([
      "t-adq-gateway",
      "t-adq-gateway.adq",
      "t-adq-gateway.adq.svc",
      "t-adq-gateway.adq.svc.cluster.local",
      "adq.example.org",
    ]);
    expect(gw.spec.usages).toContain("server auth");
    expect(gw.spec.issuerRef).toEqual({ name: "adq-ca", kind: "Issuer", group: "cert-manager.io" });
    const ctl = r.get("Certificate", "t-adq-controller");
    expect(ctl.spec.usages).toContain("client auth");
    expect(ctl.spec.dnsNames).toBeUndefined();
    // The controller presents its own client certificate to the mTLS gateway.
    const cd = r.get("Deployment", "t-adq-controller");
    expect(argValue(cd, "--tls-cert")).toBe("/etc/adq/tls/tls.crt");
    expect(argValue(cd, "--tls-key")).toBe("/etc/adq/tls/tls.key");
    expect(argValue(cd, "--tls-ca")).toBe("/etc/adq/tls/ca.crt");
    expect(cd.spec.template.spec.volumes.find((v: Obj) => v.name === "grpc-tls").secret.secretName).toBe(
      "t-adq-controller-tls",
    );
    // The record key: generated once, kept on uninstall.
    const rk = r.get("Secret", "t-adq-record-key");
    expect(rk.metadata.annotations["helm.sh/resource-policy"]).toBe("keep");
    expect(Buffer.from(rk.data["record.key"], "base64").length).toBe(64);
    await expect(render(tools, ["secure.yaml"], ["grpcTls.certManager.issuerRef.name="])).rejects.toThrow(
      /issuerRef.name is required/,
    );
  });

  it("extraEnv, extraVolumes and extraVolumeMounts per component", async () => {
    const vol = { name: "models", configMap: { name: "m" } };
    const r = await render(
      tools,
      [INSECURE],
      [
        "stages.features.extraEnv[0].name=A",
        "stages.features.extraEnv[0].value=x",
        "stages.features.extraVolumes[0].name=models",
        "stages.features.extraVolumes[0].configMap.name=m",
        "stages.features.extraVolumeMounts[0].name=models",
        "stages.features.extraVolumeMounts[0].mountPath=/models",
        "controller.extraEnv[0].name=B",
        "controller.extraEnv[0].value=y",
      ],
    );
    const f = r.get("Deployment", "t-adq-features");
    expect(container(f).env).toContainEqual({ name: "A", value: "x" });
    expect(f.spec.template.spec.volumes).toContainEqual(vol);
    expect(container(f).volumeMounts).toContainEqual({ name: "models", mountPath: "/models" });
    const b = r.get("Deployment", "t-adq-binning");
    expect(b.spec.template.spec.volumes).not.toContainEqual(vol);
    expect(container(b).env.map((e: Obj) => e.name)).not.toContain("A");
    expect(container(r.get("Deployment", "t-adq-controller")).env).toContainEqual({ name: "B", value: "y" });
  });

  it("external secrets: existing Secrets, gRPC mTLS, NATS creds/TLS, PVC/hostPath storage, Ingress, GRPCRoute, ServiceMonitor", async () => {
    const r = await render(tools, ["external-secrets.yaml"]);
    expect(r.of("Secret")).toEqual([]);
    expect(r.of("Certificate")).toEqual([]);
    for (const d of serving(r)) {
      const pod = d.spec.template.spec;
      const c = container(d);
      const vols = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v]));
      expect(vols["api-keys"].secret.secretName).toBe("adq-keys");
      const role = d.metadata.labels["app.kubernetes.io/component"];
      expect(vols["grpc-tls"].secret.secretName).toBe(
        role === "gateway" ? "adq-grpc-gateway" : `t-adq-${role}-tls`,
      );
      expect(vols["nats-auth"].secret).toEqual({
        secretName: role === "features" ? "adq-nats-features" : `t-adq-nats-${role}`,
        items: [{ key: "adq.creds", path: "adq.creds" }],
      });
      if (role === "gateway" || role === "coordinator") {
        expect(vols["record-key"].secret.secretName).toBe("adq-record-key");
        expect(argValue(d, "--record-key-file")).toBe("/etc/adq/record-key/hmac");
      } else expect(vols["record-key"]).toBeUndefined();
      expect(vols["nats-ca"].secret.secretName).toBe("adq-nats-ca");
      expect(vols["nats-client"].secret.secretName).toBe("adq-nats-client");
      expect(vols.data.persistentVolumeClaim).toEqual({ claimName: "datasets", readOnly: true });
      expect(vols.uploads.hostPath).toEqual({ path: "/srv/adq/uploads", type: "DirectoryOrCreate" });
      expect(argValue(d, "--api-keys")).toBe("/etc/adq/api-keys/keys.json");
      expect(argValue(d, "--tls-cert")).toBe("/etc/adq/tls/tls.crt");
      expect(argValue(d, "--tls-key")).toBe("/etc/adq/tls/tls.key");
      expect(argValue(d, "--tls-client-ca")).toBe("/etc/adq/tls/ca.crt");
      expect(argValue(d, "--nats-creds")).toBe("/etc/adq/nats-auth/adq.creds");
      expect(argValue(d, "--nats-tls-ca")).toBe("/etc/adq/nats-ca/ca.crt");
      expect(argValue(d, "--nats-tls-cert")).toBe("/etc/adq/nats-client/tls.crt");
      expect(argValue(d, "--nats-tls-key")).toBe("/etc/adq/nats-client/tls.key");
      expect(argValue(d, "--data-root")).toBe("/data");
      expect(c.env.find((e: Obj) => e.name === "ADQ_UPLOAD_ROOT").value).toBe("/var/lib/adq/uploads");
      // The kubelet's gRPC probe speaks no TLS: TCP probes instead.
      expect(c.readinessProbe.tcpSocket).toBeDefined();
      expect(c.readinessProbe.grpc).toBeUndefined();
    }
    const ing = r.get("Ingress", "t-adq-gateway");
    expect(ing.spec.rules[0].host).toBe("adq.example.org");
    expect(ing.spec.tls[0].secretName).toBe("adq-ingress-tls");
    const route = r.get("GRPCRoute", "t-adq-gateway");
    expect(route.spec.parentRefs).toEqual([{ name: "public", namespace: "gateway-system" }]);
    expect(route.spec.rules[0].backendRefs[0]).toEqual({ name: "t-adq-gateway", port: 50051 });
    const sm = r.get("ServiceMonitor", "t-adq");
    expect(sm.metadata.labels.release).toBe("prometheus");
    // The 7 serving components and the controller.
    expect(r.of("Service").filter((s: Obj) => s.metadata.labels["adq.dev/metrics"] === "true")).toHaveLength(
      8,
    );
  });

  it("NetworkPolicies: only the gateway takes gRPC from outside the release; egress to DNS, NATS, the release (and the API server for the controller) only", async () => {
    const gw = def.get("NetworkPolicy", "t-adq-gateway");
    expect(gw.spec.ingress[0]).toEqual({ ports: [{ port: "grpc", protocol: "TCP" }] });
    expect(gw.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const dns = { port: 53, protocol: "UDP" };
    expect(gw.spec.egress[0].ports).toContainEqual(dns);
    expect(gw.spec.egress[1]).toEqual({ ports: [{ port: 4222, protocol: "TCP" }] });
    expect(gw.spec.egress).toHaveLength(3);
    const ctl = def.get("NetworkPolicy", "t-adq-controller");
    expect(ctl.spec.egress[1].ports).toEqual([
      { port: 443, protocol: "TCP" },
      { port: 6443, protocol: "TCP" },
    ]);
    expect(ctl.spec.egress[2]).toEqual({
      to: [
        {
          podSelector: {
            matchLabels: {
              "app.kubernetes.io/name": "adq",
              "app.kubernetes.io/instance": "t",
              "app.kubernetes.io/component": "gateway",
            },
          },
        },
      ],
      ports: [{ port: 50051, protocol: "TCP" }],
    });
    expect(def.of("NetworkPolicy").map((n: Obj) => n.metadata.name)).not.toContain("t-adq-nats");
    const withNats = await render(
      tools,
      [INSECURE],
      [
        "networkPolicy.nats.podSelector.matchLabels.app=nats",
        "networkPolicy.nats.monitoringFrom[0].namespaceSelector.matchLabels.name=keda",
        "networkPolicy.egress.natsTo[0].podSelector.matchLabels.app=nats",
      ],
    );
    const np = withNats.get("NetworkPolicy", "t-adq-nats");
    expect(np.spec.podSelector).toEqual({ matchLabels: { app: "nats" } });
    expect(np.spec.ingress[0].from).toEqual([
      {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "adq", "app.kubernetes.io/instance": "t" } },
      },
    ]);
    expect(np.spec.ingress[1]).toEqual({
      ports: [{ port: 8222, protocol: "TCP" }],
      from: [{ namespaceSelector: { matchLabels: { name: "keda" } } }],
    });
    expect(withNats.get("NetworkPolicy", "t-adq-internal").spec.egress[1].to).toEqual([
      { podSelector: { matchLabels: { app: "nats" } } },
    ]);
    const open = await render(tools, [INSECURE], ["networkPolicy.egress.enabled=false"]);
    expect(open.get("NetworkPolicy", "t-adq-gateway").spec.policyTypes).toEqual(["Ingress"]);
    const internal = def.get("NetworkPolicy", "t-adq-internal");
    expect(internal.spec.podSelector.matchExpressions).toContainEqual({
      key: "app.kubernetes.io/component",
      operator: "NotIn",
      values: ["gateway", "controller", "controller-cleanup", "test"],
    });
    expect(internal.spec.ingress[0].from).toEqual([
      {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "adq", "app.kubernetes.io/instance": "t" } },
      },
    ]);
    const pdbs = def.of("PodDisruptionBudget").map((p: Obj) => p.metadata.name);
    expect(pdbs).toHaveLength(8); // the 7 serving components and the controller
  });

  it("the CRD is a template: upgraded with the release, kept on uninstall unless crds.keep=false, left out with crds.install=false", async () => {
    const crd = def.get("CustomResourceDefinition", "compressionjobs.adq.dev");
    expect(crd.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    expect(crd.spec.versions.map((v: Obj) => v.name)).toEqual(["v1alpha1"]);
    const r = await render(tools, [INSECURE], ["crds.keep=false"]);
    expect(r.get("CustomResourceDefinition", "compressionjobs.adq.dev").metadata.annotations).toBeUndefined();
    const none = await render(tools, [INSECURE], ["crds.install=false"]);
    expect(none.of("CustomResourceDefinition")).toEqual([]);
  });

  it("as a subchart of an umbrella chart: global values accepted, its values under its name, names from the parent release", async () => {
    const dir = await mkdtemp(join(tmpdir(), "adq-umbrella-"));
    try {
      await writeFile(
        join(dir, "Chart.yaml"),
        [
          "apiVersion: v2",
          "name: platform",
          "version: 1.0.0",
          "dependencies:",
          "  - name: adq",
          "    version: 0.1.0",
          `    repository: file://${CHART_DIR}`,
        ].join("\n"),
      );
      await writeFile(
        join(dir, "values.yaml"),
        [
          "global:",
          "  imageRegistry: registry.example.com",
          "  storageClass: fast",
          "adq:",
          "  security: { acknowledgeInsecure: true }",
          "  nats: { url: nats://platform-nats:4222 }",
          "  crds: { install: false }",
        ].join("\n"),
      );
      await helm(tools, ["dependency", "build", dir]);
      const { stdout } = await helm(tools, [
        "template",
        "platform",
        dir,
        "-n",
        "apps",
        "--api-versions",
        "keda.sh/v1alpha1/ScaledObject",
      ]);
      const all = (await import("js-yaml")).default.loadAll(stdout).filter(Boolean) as Obj[];
      const names = all.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name);
      expect(names.sort()).toEqual(
        ["gateway", "coordinator", "controller", ...STAGES].map((c) => `platform-adq-${c}`).sort(),
      );
      expect(all.find((o) => o.kind === "ConfigMap").data.ADQ_NATS_URL).toBe("nats://platform-nats:4222");
      expect(all.filter((o) => o.kind === "CustomResourceDefinition")).toEqual([]);
      await helm(tools, ["lint", "--strict", dir, "--set", "adq.autoscaling.keda.skipCapabilityCheck=true"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the laptop quickstart values: lint clean, no KEDA, GPU or cert-manager needed, one replica each, helm test with a job", async () => {
    const quick = join(CHART_DIR, "values-quickstart.yaml");
    await helm(tools, ["lint", "--strict", CHART_DIR, "-f", quick]);
    const { stdout } = await helm(tools, ["template", "q", CHART_DIR, "-n", "adq", "-f", quick]);
    const all = yaml.loadAll(stdout).filter(Boolean) as Obj[];
    const kinds = new Set(all.map((o) => o.kind));
    for (const k of ["ScaledObject", "HorizontalPodAutoscaler", "Certificate", "ServiceMonitor"])
      expect(kinds.has(k), k).toBe(false);
    for (const d of all.filter((o) => o.kind === "Deployment")) {
      expect(d.spec.replicas, d.metadata.name).toBe(1);
      expect(JSON.stringify(d.spec.template.spec.containers[0].resources)).not.toContain("nvidia.com/gpu");
    }
    const tests = all.filter((o) => o.metadata?.annotations?.["helm.sh/hook"] === "test");
    expect(tests.map((t) => t.metadata.name).sort()).toEqual(["q-adq-test-health", "q-adq-test-job"]);
    // The documented demo key is the one the values hash.
    const keys = JSON.parse(
      all.find((o) => o.kind === "Secret" && o.metadata.name === "q-adq-api-keys").stringData[
        "api-keys.json"
      ],
    );
    expect(keys.tenants[0].keys[0]).toBe(hashApiKey("quickstart-demo-key"));
  });

  it("helm test pods: the gateway's health and a tiny job, over the release's TLS with their own certificate, the key from a Secret", async () => {
    const r = await render(tools, ["secure.yaml"], ["tests.job.apiKeySecret=tenant-key"]);
    const health = r.get("Pod", "t-adq-test-health");
    expect(health.metadata.annotations["helm.sh/hook"]).toBe("test");
    const hc = health.spec.containers[0];
    expect(hc.args).toEqual([
      "health",
      "--server",
      "t-adq-gateway:50051",
      "--tls-ca",
      "/etc/adq/tls/ca.crt",
      "--tls-server-name",
      "t-adq-gateway",
      "--tls-cert",
      "/etc/adq/tls/tls.crt",
      "--tls-key",
      "/etc/adq/tls/tls.key",
    ]);
    expect(health.spec.volumes.find((v: Obj) => v.name === "grpc-tls").secret.secretName).toBe(
      "t-adq-test-tls",
    );
    expect(health.spec.automountServiceAccountToken).toBe(false);
    expect(hc.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(r.get("Certificate", "t-adq-test").spec.usages).toContain("client auth");
    const job = r.get("Pod", "t-adq-test-job").spec.containers[0];
    expect(job.args.slice(0, 3)).toEqual(["submit", "file:///app/demo/cifar10-demo", "--watch"]);
    expect(job.env).toContainEqual({
      name: "ADQ_API_KEY",
      valueFrom: { secretKeyRef: { name: "tenant-key", key: "apiKey" } },
    });
    expect(def.of("Pod").map((p: Obj) => p.metadata.name)).toEqual(["t-adq-test-health"]); // no key: health only
    expect(def.get("Pod", "t-adq-test-health").spec.containers[0].args).toContain("--plaintext");
  });

  it("the schema refuses unknown keys, wrong types and bad enums, naming the field", async () => {
    const bad: [string, RegExp][] = [
      ["replicaCount=3", /additional properties 'replicaCount' not allowed/],
      ["stages.features.gpu.vendor=amd", /\/stages\/features\/gpu.*additional properties 'vendor'/],
      ["stages.extra.enabled=true", /\/stages.*additional properties 'extra'/],
      ["gateway.replicas=two", /\/gateway\/replicas.*got string, want integer/],
      ["autoscaling.engine=kedaa", /\/autoscaling\/engine/],
      ["stages.features.gpu.count=0", /\/stages\/features\/gpu\/count/],
      ["gateway.port=70000", /\/gateway\/port/],
    ];
    for (const [set, msg] of bad) await expect(render(tools, [INSECURE], [set]), set).rejects.toThrow(msg);
    await expect(render(tools, [INSECURE], ["nats.auth.type=jwt"])).rejects.toThrow(/\/nats\/auth\/type/);
  });
});

/**
 * The rendered arguments, run by today's CLI: each role's `adq serve` with the chart's args
 * (ConfigMap values substituted for $(VAR); ports 0 and 127.0.0.1 so tests can run side by
 * side) comes up against a real nats-server and says it is listening.
 */
describe.skipIf(K8S_TESTS_OFF)("rendered arguments run with adq serve", () => {
  let tools: K8sTools;
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    tools = k8sTools(["helm"]);
    dir = await mkdtemp(join(tmpdir(), "adq-chart-args-"));
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("the CompressionJob controller: its own ServiceAccount with least RBAC, a Lease, restricted, the gateway's address", async () => {
    const def = await render(tools, [INSECURE]);
    const d = def.get("Deployment", "t-adq-controller");
    const c = container(d);
    expect(c.args).toEqual([
      "controller",
      "--gateway",
      "t-adq-gateway:50051",
      "--lease-namespace",
      "adq",
      "--lease-name",
      "t-adq-controller",
      "--metrics-port",
      "9090",
      "--poll-ms",
      "2000",
      "--log-level",
      "info",
      "--plaintext",
    ]);
    expect(d.spec.replicas).toBe(2);
    // Probes on its /healthz, metrics scraped, a PDB keeps one replica through a drain.
    expect(c.readinessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(d.spec.template.metadata.annotations["prometheus.io/port"]).toBe("9090");
    expect(def.get("PodDisruptionBudget", "t-adq-controller").spec.maxUnavailable).toBe(1);
    const pod = d.spec.template.spec;
    // The one pod that calls the Kubernetes API: its own account, token mounted.
    expect(pod.serviceAccountName).toBe("t-adq-controller");
    expect(def.get("ServiceAccount", "t-adq-controller").automountServiceAccountToken).toBe(true);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    const rules = def.get("ClusterRole", "t-adq-controller").rules as Obj[];
    const verbs = (group: string, resource: string) =>
      rules.find((r) => r.apiGroups.includes(group) && r.resources.includes(resource))?.verbs;
    expect(verbs("adq.dev", "compressionjobs")).toEqual(["get", "list", "watch", "patch", "update"]);
    expect(verbs("adq.dev", "compressionjobs/status")).toEqual(["get", "patch", "update"]);
    expect(verbs("", "secrets")).toEqual(["get"]); // no list/watch: it cannot enumerate Secrets
    expect(verbs("", "events")).toEqual(["create", "patch"]);
    expect(rules.flatMap((r) => r.resources).sort()).toEqual(
      ["compressionjobs", "compressionjobs/finalizers", "compressionjobs/status", "events", "secrets"].sort(),
    );
    expect(def.get("Role", "t-adq-controller-leader").rules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
    ]);
    // With gRPC TLS it trusts the Secret's CA instead of --plaintext; off, nothing is rendered.
    const tls = await render(tools, ["external-secrets.yaml"]);
    expect(argValue(tls.get("Deployment", "t-adq-controller"), "--tls-ca")).toBe("/etc/adq/tls/ca.crt");
    expect(argValue(tls.get("Deployment", "t-adq-controller"), "--tls-cert")).toBe("/etc/adq/tls/tls.crt");
    // watchNamespace: the same rights as a Role in that namespace, no cluster-wide grant at all.
    const ns = await render(tools, [INSECURE], ["controller.watchNamespace=team-a"]);
    expect(ns.of("ClusterRole")).toEqual([]);
    expect(ns.of("ClusterRoleBinding")).toEqual([]);
    const role = ns.get("Role", "t-adq-controller");
    expect(role.metadata.namespace).toBe("team-a");
    expect(role.rules).toEqual(rules);
    const rb = ns.get("RoleBinding", "t-adq-controller");
    expect(rb.metadata.namespace).toBe("team-a");
    expect(rb.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "t-adq-controller",
    });
    expect(rb.subjects).toEqual([{ kind: "ServiceAccount", name: "t-adq-controller", namespace: "adq" }]);
    expect(argValue(ns.get("Deployment", "t-adq-controller"), "--namespace")).toBe("team-a");
    // One controller per object: an instance only reconciles objects labelled for it.
    const inst = await render(tools, [INSECURE], ["controller.instance=team-b"]);
    expect(argValue(inst.get("Deployment", "t-adq-controller"), "--instance")).toBe("team-b");
    await expect(render(tools, [INSECURE], ["controller.instance=Team B"])).rejects.toThrow(
      /\/controller\/instance/,
    );
    // Uninstall: a post-delete Job with its own short-lived rights releases the finalizers.
    const job = inst.all.find((o: Obj) => o.kind === "Job" && o.metadata.name === "t-adq-controller-cleanup");
    expect(job.metadata.annotations["helm.sh/hook"]).toBe("post-delete");
    expect(job.spec.template.spec.containers[0].args).toEqual([
      "controller",
      "--release-finalizers",
      "--instance",
      "team-b",
      "--log-level",
      "info",
      "--plaintext",
    ]);
    expect(job.spec.template.spec.serviceAccountName).toBe("t-adq-controller-cleanup");
    const cleanupRole = inst.get("ClusterRole", "t-adq-controller-cleanup");
    expect(cleanupRole.rules).toEqual([
      { apiGroups: ["adq.dev"], resources: ["compressionjobs"], verbs: ["list", "patch"] },
    ]);
    expect(cleanupRole.metadata.annotations["helm.sh/hook"]).toBe("post-delete");
    const nsJob = ns.all.find((o: Obj) => o.kind === "Job");
    expect(argValue(nsJob, "--namespace")).toBe("team-a");
    expect(ns.get("Role", "t-adq-controller-cleanup").metadata.namespace).toBe("team-a");
    const off = await render(tools, [INSECURE], ["controller.enabled=false"]);
    expect(off.of("Deployment").map((x: Obj) => x.metadata.name)).not.toContain("t-adq-controller");
    expect(off.of("ClusterRole")).toEqual([]);
  });

  // The acknowledged-insecure release (--plaintext, --insecure-nats); the secure release's
  // arguments are run by chart-secure.test.ts.
  it("gateway, coordinator and every stage (CPU values, insecure acknowledged) start with the chart's arguments", async () => {
    const nats = await startNatsServer();
    try {
      const r = await render(tools, [INSECURE, "cpu-only.yaml"], [`nats.url=${nats.url}`]);
      const config = r.get("ConfigMap", "t-adq-config").data as Record<string, string>;
      const keys = join(dir, "api-keys.json");
      await writeFile(keys, JSON.stringify({ tenants: [] }));
      const recordKey = join(dir, "record.key");
      await writeFile(recordKey, "k".repeat(64));
      const starts = serving(r).map((d: Obj) => {
        const args = localArgs(container(d).args as string[], config, {
          "--port": "0",
          "--metrics-port": "0",
          "--host": "127.0.0.1",
          "--api-keys": keys,
          "--record-key-file": recordKey,
        });
        const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "adq.mjs"), ...args], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        children.push(child);
        let out = "";
        let err = "";
        child.stderr?.on("data", (b) => {
          err += b;
        });
        return new Promise<string>((resolve, reject) => {
          child.stdout?.on("data", (b) => {
            out += b;
            if (/listening on/.test(out)) resolve(out);
          });
          child.once("exit", (code) =>
            reject(new Error(`${d.metadata.name}: adq ${args.join(" ")} exited ${code}: ${err}`)),
          );
        }).finally(() => child.kill("SIGTERM"));
      });
      const lines = await Promise.all(starts);
      expect(lines).toHaveLength(7);
      expect(lines.filter((l) => /stage \w+ listening/.test(l))).toHaveLength(5);
    } finally {
      await nats.stop();
    }
  }, 120_000);
});
