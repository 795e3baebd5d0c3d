/**
 * The CompressionJob resource end to end: the CRD from charts/adq/files/crds on a real kube-apiserver
 * (test/k8s/cluster.ts), a real cluster-mode gateway on a real nats-server, and the controller —
 * in-process for the behaviour tests, as real `adq controller` processes for SIGKILL/restart
 * and for two replicas competing for the leader Lease.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_MODEL, REPO_ROOT } from "@adq/cli";
import { startClusterGateway } from "@adq/cluster";
import { CompressionJobController } from "@adq/controller";
import type { CompressionJob } from "@adq/controller/testing";
import { getObjectBytes, listObjects } from "@adq/ml";
import { ApiKeyAuthenticator, CompressionClient, DataGrants, Logger } from "@adq/service-common";
import { hashApiKey, MemorySink } from "@adq/service-common/testing";
import type { Manifest } from "@adq/stages";
import type { S3Client } from "@aws-sdk/client-s3";
import * as k8s from "@kubernetes/client-node";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { referenceCompress } from "../services/helpers.ts";
import { type NatsServer, startNatsServer } from "../support/nats-server.ts";
import { useS3Server } from "../support/s3-server.ts";
import { type Cluster, startCluster, waitFor } from "./cluster.ts";
import { K8S_TESTS_OFF } from "./tools.ts";

const KEYS = { acme: "acme-k8s-key", globex: "globex-k8s-key" };
const G = { group: "adq.dev", version: "v1alpha1", plural: "compressionjobs" };
const CRD = join(REPO_ROOT, "charts", "adq", "files", "crds", "compressionjobs.adq.dev.yaml");
// ADQ, not the default CCS: the job goes through every stage.
const FLAGS = ["--method", "adq-paper", "--ratio", "0.25", "--bins", "2", "--seed", "3"];

describe.skipIf(K8S_TESTS_OFF)("CompressionJob custom resource and its controller", () => {
  let cluster: Cluster;
  let nats: NatsServer;
  let gw: Awaited<ReturnType<typeof startClusterGateway>>;
  let custom: k8s.CustomObjectsApi;
  let core: k8s.CoreV1Api;
  let coord: k8s.CoordinationV1Api;
  let data: string;
  let results: string;
  let controller: CompressionJobController;
  let admin: S3Client;
  const logs = new MemorySink();
  // A real S3 (SeaweedFS): acme's grant covers s3://acme-data/sets/, with acme's own S3 identity.
  const s3 = useS3Server({ tenants: [{ name: "acme", buckets: ["acme-data"] }] });
  const acme = () => new CompressionClient(gw.address, { apiKey: KEYS.acme });

  const job = (name: string, ns: string, extra: Partial<CompressionJob["spec"]> = {}): CompressionJob => ({
    apiVersion: "adq.dev/v1alpha1",
    kind: "CompressionJob",
    metadata: { name, namespace: ns },
    spec: {
      dataset: { uri: `file://${data}` },
      params: { ratio: 0.25, bins: 2, seed: 3, method: "adq-paper" },
      apiKeySecretRef: { name: "adq-tenant" },
      ...extra,
    },
  });
  const create = (obj: CompressionJob) =>
    custom.createNamespacedCustomObject({ ...G, namespace: obj.metadata!.namespace!, body: obj });
  const get = async (ns: string, name: string) =>
    (await custom.getNamespacedCustomObject({ ...G, namespace: ns, name })) as CompressionJob;
  const until = (ns: string, name: string, ok: (o: CompressionJob) => boolean, what: string, ms = 90_000) =>
    waitFor(
      `${ns}/${name}: ${what}`,
      async () => {
        const o = await get(ns, name);
        return ok(o) ? o : undefined;
      },
      ms,
    );
  const events = async (ns: string, name: string) =>
    (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })).items;
  const jobsWithKey = async (uid: string) =>
    (await acme().listJobs({ pageSize: 100 })).jobs.filter((j) => j.idempotencyKey === `k8s-${uid}`);

  beforeAll(async () => {
    nats = await startNatsServer();
    cluster = await startCluster({ kwok: false });
    custom = cluster.kc.makeApiClient(k8s.CustomObjectsApi);
    core = cluster.kc.makeApiClient(k8s.CoreV1Api);
    coord = cluster.kc.makeApiClient(k8s.CoordinationV1Api);
    data = demoSlice(2, 12);
    results = tmp("adq-k8s-results-");
    const srv = s3.server;
    // The gateway runs in this process: the S3 endpoint from the standard AWS environment, and a
    // process identity that can read nothing (only the grant's credentials open acme's bucket).
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: srv.endpoint,
      AWS_REGION: srv.region,
      AWS_ACCESS_KEY_ID: "AKNOBODY",
      AWS_SECRET_ACCESS_KEY: "none",
    });
    admin = srv.client();
    await srv.createBuckets("acme-data");
    await srv.putTree("acme-data", "sets/ds", data);
    const creds = join(tmp("adq-k8s-creds-"), "acme.json");
    writeFileSync(
      creds,
      JSON.stringify({
        access_key_id: srv.tenants.acme!.accessKeyId,
        secret_access_key: srv.tenants.acme!.secretAccessKey,
      }),
    );
    const grants = await DataGrants.fromConfig([
      { id: "acme", data: [{ root: data }, { s3: "s3://acme-data/sets/", credentials_file: creds }] },
      { id: "globex", data: [{ root: data }] },
    ]);
    gw = await startClusterGateway({
      nats: nats.url,
      insecureNats: true, // a test server without authorization
      address: "127.0.0.1:0",
      auth: new ApiKeyAuthenticator([
        { id: "acme", keys: [hashApiKey(KEYS.acme)] },
        { id: "globex", keys: [hashApiKey(KEYS.globex)] },
      ]),
      dataRoots: [data],
      ...(grants ? { grants } : {}),
      defaultModel: DEFAULT_MODEL,
      // Every stage task waits a little: jobs last long enough to be deleted or outlive a controller.
      faults: { delayMs: 400 },
      log: new Logger(new MemorySink()),
    });
    const ext = cluster.kc.makeApiClient(k8s.ApiextensionsV1Api);
    // Posted as is: the typed client's serializer drops the schema's x-kubernetes-* keys.
    const posted = await rawRequest(
      cluster,
      "POST",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      JSON.stringify(yaml.load(await readFile(CRD, "utf8"))),
    );
    expect(posted.status).toBe(201);
    await waitFor("the CRD to be Established", async () => {
      const crd = await ext.readCustomResourceDefinition({ name: "compressionjobs.adq.dev" });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
        ? true
        : undefined;
    });
    for (const [ns, key] of [
      ["team-a", KEYS.acme],
      ["team-b", KEYS.globex],
      ["adq-system", ""],
    ] as const) {
      await core.createNamespace({ body: { metadata: { name: ns } } });
      if (key)
        await core.createNamespacedSecret({
          namespace: ns,
          body: { metadata: { name: "adq-tenant" }, stringData: { apiKey: key } },
        });
    }
    controller = new CompressionJobController({
      kc: cluster.kc,
      gateway: gw.address,
      leaseNamespace: "adq-system",
      // team-a only: team-b is reconciled by the `adq controller` processes below.
      namespace: "team-a",
      leaseName: "in-process",
      identity: "in-process",
      resultsRoot: results,
      pollMs: 300,
      resyncMs: 3000,
      leaseDurationMs: 4000,
      retryPeriodMs: 500,
      log: new Logger(logs),
    });
    controller.start();
  }, 180_000);

  afterAll(async () => {
    if (process.env.ADQ_DEBUG_CONTROLLER) console.error(JSON.stringify(logs.records(), null, 1));
    await controller?.stop();
    await gw?.close(2000);
    await cluster?.stop();
    await nats?.stop();
  }, 60_000);

  it("apply → the job runs → Succeeded, with the result reference, a copy of the files and adq compress's manifest", async () => {
    const ref = referenceCompress(data, FLAGS);
    await create(job("cifar-quarter", "team-a", { output: { path: "runs/cifar-quarter" } }));
    const running = await until("team-a", "cifar-quarter", (o) => !!o.status?.jobId, "a job id");
    expect(running.metadata?.finalizers).toContain("adq.dev/cancel-job");
    const done = await until("team-a", "cifar-quarter", (o) => o.status?.phase === "Succeeded", "Succeeded");
    const s = done.status!;
    expect(s.observedGeneration).toBe(done.metadata?.generation);
    expect(s.result).toMatchObject({ jobId: s.jobId, selected: 6, total: 24 });
    expect(s.result!.files.map((f) => f.name)).toEqual([
      "bins.json",
      "manifest.json",
      "report.html",
      "store.adqp",
    ]);
    expect(s.conditions?.find((c) => c.type === "Complete")).toMatchObject({
      status: "True",
      reason: "JobSucceeded",
    });
    expect(s.completionTime).toBeDefined();
    expect(s.progress).toBe("100%");
    const copy = join(results, "team-a", "runs", "cifar-quarter");
    expect(s.result!.path).toBe(copy);
    await ref.done;
    expect(
      readFileSync(join(copy, "manifest.json")).equals(readFileSync(join(ref.out, "manifest.json"))),
    ).toBe(true);
    const reasons = (await events("team-a", "cifar-quarter")).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["Submitted", "Succeeded"]));
    // `kubectl get compressionjobs` prints the server-side Table: the printer columns.
    const table = (await (
      await fetchAsTable(cluster, "/apis/adq.dev/v1alpha1/namespaces/team-a/compressionjobs")
    ).json()) as { columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
    expect(table.columnDefinitions.map((c) => c.name)).toEqual([
      "Name",
      "Phase",
      "Stage",
      "Progress",
      "Job",
      "Age",
    ]);
    expect(table.rows[0]!.cells.slice(0, 4)).toEqual(["cifar-quarter", "Succeeded", "", "100%"]);
  }, 180_000);

  it("s3:// in and out: Succeeded, the result in the tenant's bucket (manifest.json), the items adq compress selects on disk", async () => {
    const ref = referenceCompress(data, FLAGS);
    await create(
      job("from-s3", "team-a", {
        dataset: { uri: "s3://acme-data/sets/ds" },
        output: { uri: "s3://acme-data/sets/results/from-s3" },
      }),
    );
    const done = await until("team-a", "from-s3", (o) => o.status?.phase === "Succeeded", "Succeeded");
    expect(done.status!.result).toMatchObject({ selected: 6, total: 24 });
    const keys: string[] = [];
    for await (const o of listObjects(admin, "acme-data", "sets/results/from-s3/")) keys.push(o.key);
    expect(keys.sort()).toEqual(
      ["bins.json", "manifest.json", "report.html", "store.adqp"].map((f) => `sets/results/from-s3/${f}`),
    );
    const published = JSON.parse(
      Buffer.from(
        await getObjectBytes(admin, { bucket: "acme-data", key: "sets/results/from-s3/manifest.json" }),
      ).toString("utf8"),
    ) as Manifest;
    await ref.done;
    const onDisk = JSON.parse(readFileSync(join(ref.out, "manifest.json"), "utf8")) as Manifest;
    expect(published.selected).toBe(6);
    expect(published.items).toEqual(onDisk.items);
    // Outside acme's grant: the controller's job is refused before anything is read.
    await create(
      job("s3-elsewhere", "team-a", {
        dataset: { uri: "s3://acme-data/other/ds" },
      }),
    );
    const refused = await until("team-a", "s3-elsewhere", (o) => o.status?.phase === "Failed", "Failed");
    expect(JSON.stringify(refused.status)).toMatch(/PERMISSION_DENIED|not granted|grant/i);
  }, 180_000);

  it("an invalid spec is rejected by the CRD schema", async () => {
    for (const [params, field] of [
      [{ ratio: 1.5 }, "spec.params.ratio"],
      [{ ratio: 0 }, "spec.params.ratio"],
      [{ ratio: 0.1, method: "kmeans" }, "spec.params.method"],
      [{ ratio: 0.1, bins: 0 }, "spec.params.bins"],
      [{ ratio: 0.1, drop: 1 }, "spec.params.drop"],
    ] as const) {
      const err = await create(job("bad", "team-a", { params: params as never })).then(
        () => undefined,
        (e: { code?: number; body?: string }) => e,
      );
      expect(err?.code, JSON.stringify(params)).toBe(422);
      expect(String(err?.body)).toContain(field);
    }
    const noSecret = {
      ...job("bad", "team-a"),
      spec: { dataset: { uri: `file://${data}` }, params: { ratio: 0.1 } },
    };
    await expect(create(noSecret as never)).rejects.toMatchObject({ code: 422 });
  });

  it("a Secret in another namespace is refused: Failed, no job for that tenant", async () => {
    const globex = new CompressionClient(gw.address, { apiKey: KEYS.globex });
    const before = (await globex.listJobs({ pageSize: 100 })).jobs.length;
    await create(job("borrow", "team-a", { apiKeySecretRef: { name: "adq-tenant", namespace: "team-b" } }));
    const o = await until("team-a", "borrow", (x) => x.status?.phase === "Failed", "Failed");
    expect(o.status?.conditions?.find((c) => c.type === "Failed")?.reason).toBe("SecretNamespaceForbidden");
    expect(o.status?.jobId).toBeUndefined();
    expect((await globex.listJobs({ pageSize: 100 })).jobs.length).toBe(before);
    expect((await events("team-a", "borrow")).map((e) => e.reason)).toContain("SecretNamespaceForbidden");
    globex.close();
  });

  it("applied before its Secret (GitOps order): Pending with SecretAvailable=False, then runs once the Secret exists", async () => {
    await create(job("early", "team-a", { apiKeySecretRef: { name: "late-secret" } }));
    const waiting = await until(
      "team-a",
      "early",
      (o) => o.status?.conditions?.some((c) => c.type === "SecretAvailable" && c.status === "False") === true,
      "SecretAvailable=False",
    );
    expect(waiting.status?.phase).toBe("Pending");
    expect(waiting.status?.conditions?.find((c) => c.type === "SecretAvailable")?.reason).toBe(
      "SecretNotFound",
    );
    await core.createNamespacedSecret({
      namespace: "team-a",
      body: { metadata: { name: "late-secret" }, stringData: { apiKey: KEYS.acme } },
    });
    const done = await until("team-a", "early", (o) => o.status?.phase === "Succeeded", "Succeeded", 120_000);
    expect(done.status?.conditions?.find((c) => c.type === "SecretAvailable")?.status).toBe("True");
  }, 180_000);

  it("a spec change after the start is refused with a condition and an event, the job keeps its parameters", async () => {
    await create(job("frozen", "team-a"));
    const started = await until("team-a", "frozen", (o) => !!o.status?.jobId, "a job id");
    await custom.patchNamespacedCustomObject(
      { ...G, namespace: "team-a", name: "frozen", body: { spec: { params: { ratio: 0.5 } } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const o = await until(
      "team-a",
      "frozen",
      (x) =>
        x.status?.conditions?.some((c) => c.type === "SpecChangeRefused" && c.status === "True") === true,
      "SpecChangeRefused",
    );
    expect(o.status?.jobId).toBe(started.status?.jobId);
    expect(o.status?.jobGeneration).toBe(1);
    expect(o.status?.observedGeneration).toBe(2);
    await waitFor("the SpecChangeRefused event", async () =>
      (await events("team-a", "frozen")).some((e) => e.reason === "SpecChangeRefused" && e.type === "Warning")
        ? true
        : undefined,
    );
    const done = await until("team-a", "frozen", (x) => x.status?.phase === "Succeeded", "Succeeded");
    expect(done.status?.result?.selected).toBe(6); // ρ = 0.25 of 24, not 0.5
  }, 120_000);

  it("delete mid-job → the gateway job is cancelled and the finalizer removed", async () => {
    await create(job("doomed", "team-a"));
    const o = await until("team-a", "doomed", (x) => x.status?.phase === "Running", "Running");
    await custom.deleteNamespacedCustomObject({ ...G, namespace: "team-a", name: "doomed" });
    await waitFor("the object to be gone", async () =>
      get("team-a", "doomed").then(
        () => undefined,
        (e: { code?: number }) => (e.code === 404 ? true : undefined),
      ),
    );
    const j = await acme().getJob(o.status!.jobId!);
    expect(j.state).toBe("JOB_STATE_CANCELLED");
  }, 120_000);

  describe("as real processes", () => {
    const procs: ChildProcess[] = [];
    let kubeconfig: string;
    const startProc = (identity: string) => {
      const child = spawn(
        process.execPath,
        [
          join(REPO_ROOT, "bin", "adq.mjs"),
          "controller",
          "--kubeconfig",
          kubeconfig,
          "--gateway",
          gw.address,
          "--namespace",
          "team-b",
          "--lease-namespace",
          "adq-system",
          "--identity",
          identity,
          "--poll-ms",
          "300",
          "--lease-duration-ms",
          "3000",
          "--retry-period-ms",
          "500",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let log = "";
      child.stderr!.on("data", (d) => {
        log += d;
      });
      procs.push(child);
      return { child, log: () => log };
    };
    const holder = async () =>
      (await coord.readNamespacedLease({ namespace: "adq-system", name: "adq-controller" })).spec
        ?.holderIdentity;

    beforeAll(() => {
      kubeconfig = cluster.kubeconfig;
    });
    afterAll(async () => {
      for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
    });

    it("two replicas → one leader; the leader SIGKILLed mid-job → the other takes over, no second job, status catches up", async () => {
      const a = startProc("replica-a");
      const b = startProc("replica-b");
      const first = await waitFor("a Lease holder", async () => (await holder()) || undefined);
      expect(["replica-a", "replica-b"]).toContain(first);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await holder()).toBe(first); // the other does not take it while it is renewed
      const leader = first === "replica-a" ? a : b;
      const standby = first === "replica-a" ? b : a;
      expect(leader.log()).toMatch(/leader_acquired/);
      expect(standby.log()).not.toMatch(/leader_acquired/);

      await create(job("survivor", "team-b"));
      const o = await until("team-b", "survivor", (x) => x.status?.phase === "Running", "Running", 60_000);
      leader.child.kill("SIGKILL");
      await waitFor("the standby to lead", async () =>
        (await holder()) === (first === "replica-a" ? "replica-b" : "replica-a") ? true : undefined,
      );
      const done = await until(
        "team-b",
        "survivor",
        (x) => x.status?.phase === "Succeeded",
        "Succeeded",
        120_000,
      );
      expect(done.status?.jobId).toBe(o.status?.jobId);
      const globex = new CompressionClient(gw.address, { apiKey: KEYS.globex });
      const mine = (await globex.listJobs({ pageSize: 100 })).jobs.filter(
        (j) => j.idempotencyKey === `k8s-${done.metadata?.uid}`,
      );
      expect(mine).toHaveLength(1);
      globex.close();
      expect(await jobsWithKey(done.metadata!.uid!)).toHaveLength(0); // and none in another tenant
      standby.child.kill("SIGTERM");
      await new Promise((r) => standby.child.once("exit", r));
    }, 240_000);
  });
});

/** GET with the Table Accept header, as kubectl get does. */
function fetchAsTable(cluster: Cluster, path: string): Promise<Response> {
  return rawRequest(cluster, "GET", path, undefined, {
    Accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
  });
}

/** A request with the cluster's client certificate, the body sent byte for byte. */
async function rawRequest(
  cluster: Cluster,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const opts: { headers?: Record<string, string> } = {};
  await cluster.kc.applyToHTTPSOptions(opts as never);
  const { request } = await import("node:https");
  const https = opts as unknown as { ca?: Buffer; cert?: Buffer; key?: Buffer };
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server}${path}`,
      {
        method,
        ca: https.ca,
        cert: https.cert,
        key: https.key,
        headers: { ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
      },
      (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve(new Response(body, { status: res.statusCode ?? 0 })));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
