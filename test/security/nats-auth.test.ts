// NATS under deploy/nats/adq-auth.conf: authentication required, least privilege per role,
// job records bound to their tenant (HMAC), no secret in any log line. A real nats-server,
// a coordinator and the five stage workers in this process, each with its own user.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_MODEL } from "@adq/cli";
import {
  NatsConnectError,
  openClusterPorts,
  type RunningClusterGateway,
  type RunningStageWorker,
  STAGE_NAMES,
  startClusterGateway,
  startStageWorker,
} from "@adq/cluster";
import { connectNats, type NatsAuthOptions, type NatsConnection, redactUrl } from "@adq/platform/nats";
import { ApiKeyAuthenticator, CompressionClient, Logger } from "@adq/service-common";
import { hashApiKey, MemorySink } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { expectStatus, KEYS, watchToEnd } from "../services/helpers.ts";
import { type NatsServer, startNatsServer } from "../support/nats-server.ts";
import { makePki } from "./certs.ts";

const CONFIG = resolve("deploy/nats/adq-auth.conf");
const PASSWORDS: Record<string, string> = {
  "adq-gateway": "gw-Secret-Passw0rd-1",
  ...Object.fromEntries(STAGE_NAMES.map((s) => [`adq-worker-${s}`, `${s}-Secret-Passw0rd-2`])),
};
const RECORD_KEY = Buffer.from("0123456789abcdef0123456789abcdef-record-key");

describe("NATS least privilege (deploy/nats/adq-auth.conf)", () => {
  let nats: NatsServer;
  let dir: string;
  let logs: MemorySink;
  let gw: RunningClusterGateway;
  const workers: RunningStageWorker[] = [];
  const conns: NatsConnection[] = [];
  let acme: CompressionClient;
  let globex: CompressionClient;
  let data: string;
  let acmeJob: string;

  const auth = (user: string): NatsAuthOptions => ({ user, passwordFile: join(dir, `${user}.pw`) });
  const connectAs = async (user: string | null) => {
    const nc = await connectNats({
      servers: nats.url,
      // The connection name sets the inbox prefix the role may subscribe to.
      name: user === "adq-gateway" ? "adq-coordinator" : (user ?? "anonymous"),
      ...(user ? { auth: auth(user) } : {}),
    });
    conns.push(nc);
    return nc;
  };

  beforeAll(async () => {
    dir = tmp("adq-nats-auth-");
    for (const [u, p] of Object.entries(PASSWORDS)) writeFileSync(join(dir, `${u}.pw`), `${p}\n`);
    nats = await startNatsServer({
      config: CONFIG,
      env: {
        ADQ_NATS_GATEWAY_PASSWORD: PASSWORDS["adq-gateway"]!,
        ...Object.fromEntries(
          STAGE_NAMES.map((s) => [
            `ADQ_NATS_WORKER_${s.toUpperCase()}_PASSWORD`,
            PASSWORDS[`adq-worker-${s}`]!,
          ]),
        ),
      },
    });
    logs = new MemorySink();
    const log = new Logger(logs);
    data = demoSlice(2, 6);
    // Workers first: they wait for the coordinator to create the streams they may not create.
    const starting = STAGE_NAMES.map((stage) =>
      startStageWorker({
        stage,
        nats: nats.url,
        address: "127.0.0.1:0",
        log,
        threads: 1,
        natsAuth: auth(`adq-worker-${stage}`),
        defaultModel: DEFAULT_MODEL,
      }),
    );
    gw = await startClusterGateway({
      nats: nats.url,
      address: "127.0.0.1:0",
      auth: new ApiKeyAuthenticator([
        { id: "acme", keys: [hashApiKey(KEYS.acme)] },
        { id: "globex", keys: [hashApiKey(KEYS.globex)] },
      ]),
      dataRoots: [data],
      defaultModel: DEFAULT_MODEL,
      workers: false,
      log,
      natsAuth: auth("adq-gateway"),
      recordKey: RECORD_KEY,
      watchPollMs: 200,
    });
    workers.push(...(await Promise.all(starting)));
    acme = new CompressionClient(gw.address, { apiKey: KEYS.acme });
    globex = new CompressionClient(gw.address, { apiKey: KEYS.globex });
  }, 120_000);

  afterAll(async () => {
    acme?.close();
    globex?.close();
    for (const nc of conns) await nc.close().catch(() => {});
    await Promise.all(workers.map((w) => w.close(2000)));
    await gw?.close(2000);
    await nats?.stop();
  });

  it("refuses a client without credentials or with a wrong password", async () => {
    await expect(connectNats({ servers: nats.url, name: "anonymous" })).rejects.toThrow(/Authorization/);
    const bad = join(dir, "bad.pw");
    writeFileSync(bad, "not-the-password");
    await expect(
      connectNats({ servers: nats.url, name: "x", auth: { user: "adq-gateway", passwordFile: bad } }),
    ).rejects.toThrow(/Authorization/);
  });

  it("runs a job end to end with every process under its least-privilege user", async () => {
    const { job } = await acme.createJob({
      dataset: { uri: `file://${data}` },
      params: { ratio: 0.5, bins: 2, seed: 1, method: "METHOD_ADQ_PAPER" } as never, // ADQ: every stage runs
    });
    acmeJob = job.id;
    const events = await watchToEnd(acme, job.id);
    expect(events.at(-1)?.terminal?.state, JSON.stringify(events.at(-1))).toBe("JOB_STATE_SUCCEEDED");
    // Every stage ran in its own worker, and no process hit a permission it lacks.
    const finished = new Set(
      logs
        .records()
        .filter((l) => l.event === "task_finished")
        .map((l) => l.stage),
    );
    expect([...finished].sort()).toEqual([...STAGE_NAMES].sort());
    expect(JSON.stringify(logs.lines)).not.toMatch(/[Pp]ermissions? [Vv]iolation/);
  }, 180_000);

  it("a stage worker's credentials can neither read job records nor take another stage's tasks", async () => {
    const nc = await connectAs("adq-worker-features");
    // The job KV bucket: no stream info, no direct get, no key subscription.
    const kv = new Kvm(nc);
    await expect(kv.open("adq-jobs").then((b) => b.get(acmeJob))).rejects.toThrow(/[Pp]ermission/);
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.info("KV_adq-jobs")).rejects.toThrow(/[Pp]ermission/);
    await expect(
      jsm.streams.getMessage("KV_adq-jobs", { last_by_subj: `$KV.adq-jobs.${acmeJob}` }),
    ).rejects.toThrow(/[Pp]ermission/);
    // Another stage's queue.
    const js = jetstream(nc);
    await expect(
      js.consumers.get("ADQ_TASKS", "binning").then((c) => c.next({ expires: 1000 })),
    ).rejects.toThrow(/[Pp]ermission/);
    // Publishing tasks (re-pointing work) is the coordinator's alone.
    await expect(
      js.publish("adq.tasks.binning.job-x", new TextEncoder().encode("{}"), { timeout: 2000 }),
    ).rejects.toThrow(/[Pp]ermission/);
    // Its own queue works.
    const own = await js.consumers.get("ADQ_TASKS", "features");
    expect((await own.info()).name).toBe("features");
  });

  it("the control plane declared every stage's queue; a worker cannot re-point it (issue 28)", async () => {
    const gwNc = await connectAs("adq-gateway");
    const gjsm = await jetstreamManager(gwNc);
    for (const stage of [...STAGE_NAMES, "jobs"])
      expect((await gjsm.consumers.info("ADQ_TASKS", stage)).config.filter_subject).toBe(
        `adq.tasks.${stage}.>`,
      );
    const nc = await connectAs("adq-worker-features");
    const jsm = await jetstreamManager(nc);
    // The re-filter attack: its own durable consumer pointed at every stage's tasks, through
    // each of the three consumer-create API forms, and the client's update.
    const config = {
      durable_name: "features",
      filter_subject: "adq.tasks.>",
      ack_policy: "explicit",
      deliver_policy: "all",
    };
    for (const subject of [
      "$JS.API.CONSUMER.CREATE.ADQ_TASKS",
      "$JS.API.CONSUMER.CREATE.ADQ_TASKS.features.adq.tasks.>",
      "$JS.API.CONSUMER.DURABLE.CREATE.ADQ_TASKS.features",
    ])
      await expect(
        nc.request(subject, JSON.stringify({ stream_name: "ADQ_TASKS", config }), { timeout: 2000 }),
        subject,
      ).rejects.toThrow(/[Pp]ermission/);
    await expect(
      jsm.consumers.update("ADQ_TASKS", "features", { filter_subject: "adq.tasks.>" } as never),
    ).rejects.toThrow(/[Pp]ermission/);
    await expect(
      jsm.consumers.add("ADQ_TASKS", { name: "thief", filter_subject: "adq.tasks.>" } as never),
    ).rejects.toThrow(/[Pp]ermission/);
    expect((await gjsm.consumers.info("ADQ_TASKS", "features")).config.filter_subject).toBe(
      "adq.tasks.features.>",
    );
  });

  it("a worker can neither read nor delete task messages by sequence, nor purge any stream (issue 28)", async () => {
    const gwNc = await connectAs("adq-gateway");
    const gjsm = await jetstreamManager(gwNc);
    // A task no worker pulls (a subject of no stage) that features' credentials try to read
    // and delete.
    const gjs = jetstream(gwNc);
    const ack = await gjs.publish("adq.tasks.held.job-held-1", new TextEncoder().encode("{}"));
    const nc = await connectAs("adq-worker-features");
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.getMessage("ADQ_TASKS", { seq: ack.seq })).rejects.toThrow(/[Pp]ermission/);
    await expect(jsm.streams.deleteMessage("ADQ_TASKS", ack.seq)).rejects.toThrow(/[Pp]ermission/);
    // The wipe of every tenant's results, and of the queues.
    const before = (await gjsm.streams.info("OBJ_adq-artifacts")).state.messages;
    expect(before).toBeGreaterThan(0);
    for (const stream of ["OBJ_adq-artifacts", "ADQ_TASKS", "ADQ_OUTCOMES", "ADQ_EVENTS"]) {
      await expect(jsm.streams.purge(stream), stream).rejects.toThrow(/[Pp]ermission/);
      await expect(jsm.streams.delete(stream), stream).rejects.toThrow(/[Pp]ermission/);
    }
    expect((await gjsm.streams.info("OBJ_adq-artifacts")).state.messages).toBe(before);
    expect((await acme.getResult(acmeJob)).manifest).toBeDefined();
    expect((await gjsm.streams.getMessage("ADQ_TASKS", { seq: ack.seq }))?.subject).toBe(
      "adq.tasks.held.job-held-1",
    );
    await gjsm.streams.purge("ADQ_TASKS", { filter: "adq.tasks.held.job-held-1" });
  });

  // Object Store meta subject of a key (the client's own encoding: base64url, padded).
  const metaSubject = (bucket: string, key: string) =>
    `$O.${bucket}.M.${Buffer.from(key).toString("base64url")}${"=".repeat((3 - (Buffer.byteLength(key) % 3)) % 3)}`;
  const denied = /[Pp]ermission/;

  it("artifacts: a worker writes only its own bucket, reads only earlier stages', never results (issue 28)", async () => {
    const gwNc = await connectAs("adq-gateway");
    const gjsm = await jetstreamManager(gwNc);
    const results = await gw.ports.store.list(`tenants/acme/jobs/${acmeJob}/`);
    const manifest = results.find((i) => i.key.endsWith("/manifest.json"))!;
    expect(manifest).toBeDefined();
    // Sealed: the results are in the control plane's bucket, none left in assemble's.
    const sealed = await gjsm.streams.getMessage("OBJ_adq-artifacts", {
      last_by_subj: metaSubject("adq-artifacts", manifest.key),
    });
    expect(sealed?.json<{ name: string }>().name).toBe(manifest.key);
    const left = await new Objm(gwNc).open("adq-art-assemble").then((b) => b.list());
    expect(left.filter((o) => !o.deleted && o.name.startsWith(`tenants/acme/jobs/${acmeJob}/`))).toEqual([]);
    const before = (await gjsm.streams.info("OBJ_adq-artifacts")).state.messages;
    const assembleBefore = (await gjsm.streams.info("OBJ_adq-art-assemble")).state.messages;
    for (const stage of STAGE_NAMES) {
      const nc = await connectAs(`adq-worker-${stage}`);
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      // No worker reads a tenant's results or uploads, nor a later stage's bucket.
      const unreadable = [
        "adq-artifacts",
        ...STAGE_NAMES.slice(STAGE_NAMES.indexOf(stage) + 1).map((s) => `adq-art-${s}`),
      ];
      if (stage === "features") unreadable.push("adq-art-coordinator");
      for (const bucket of unreadable) {
        await expect(
          jsm.streams.getMessage(`OBJ_${bucket}`, { last_by_subj: metaSubject(bucket, manifest.key) }),
          `${stage} reads ${bucket}`,
        ).rejects.toThrow(denied);
        await expect(
          new Objm(nc).open(bucket).then((b) => b.get(manifest.key)),
          `${stage} opens ${bucket}`,
        ).rejects.toThrow(denied);
      }
      // No worker writes the results' metadata (overwrite or mark deleted) nor another stage's bucket.
      for (const bucket of [
        "adq-artifacts",
        ...STAGE_NAMES.filter((s) => s !== stage).map((s) => `adq-art-${s}`),
      ])
        await expect(
          js.publish(
            metaSubject(bucket, manifest.key),
            JSON.stringify({ name: manifest.key, deleted: true }),
            {
              timeout: 2000,
            },
          ),
          `${stage} writes ${bucket}`,
        ).rejects.toThrow(denied);
      // Nor purges or deletes any artifact bucket, its own included.
      for (const bucket of ["adq-artifacts", `adq-art-${stage}`]) {
        await expect(jsm.streams.purge(`OBJ_${bucket}`), `${stage} purges ${bucket}`).rejects.toThrow(denied);
        await expect(jsm.streams.delete(`OBJ_${bucket}`), `${stage} deletes ${bucket}`).rejects.toThrow(
          denied,
        );
      }
    }
    expect((await gjsm.streams.info("OBJ_adq-artifacts")).state.messages).toBe(before);
    expect((await gjsm.streams.info("OBJ_adq-art-assemble")).state.messages).toBe(assembleBefore);
    expect((await acme.getResult(acmeJob)).manifest).toBeDefined();
  });

  it("outcomes and events: a worker publishes only on its stage's subjects; forged ones are dropped (issue 28)", async () => {
    const nc = await connectAs("adq-worker-features");
    const js = jetstream(nc);
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const forgedTask = { jobId: acmeJob, stage: "assemble", taskKey: "result", payload: {} };
    // Another stage's outcome subject, the control plane's events, another stage's events.
    for (const subject of [
      `adq.outcomes.assemble.${acmeJob}`,
      `adq.events.control.${acmeJob}`,
      `adq.events.assemble.${acmeJob}`,
    ])
      await expect(
        js.publish(subject, enc({ task: forgedTask, ok: true }), { timeout: 2000 }),
        subject,
      ).rejects.toThrow(denied);
    // On its own subjects: assemble's outcome, another job's outcome, a forged state change
    // (CANCELLING would abort a running job) — all dropped by every receiver.
    const seen: string[] = [];
    const off = gw.ports.bus.subscribeEvents(
      acmeJob,
      (e) => seen.push(`${e.kind}:${e.state ?? e.message ?? ""}`),
      {
        replay: false,
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    const progressBefore = (await acme.getJob(acmeJob)).stages;
    await js.publish(
      `adq.outcomes.features.${acmeJob}`,
      enc({ task: forgedTask, ok: true, result: { files: [] } }),
    );
    await js.publish(
      `adq.outcomes.features.${acmeJob}`,
      enc({ task: { ...forgedTask, stage: "features", jobId: "job-other" }, ok: false, error: "x" }),
    );
    await js.publish(
      `adq.events.features.${acmeJob}`,
      enc({ jobId: acmeJob, kind: "state", state: "CANCELLING", at: 1 }),
    );
    await js.publish(
      `adq.events.features.${acmeJob}`,
      enc({ jobId: "job-other", kind: "progress", stage: "features", at: 1 }),
    );
    // A features progress event for a job not in its features stage: delivered, but not counted.
    await js.publish(
      `adq.events.features.${acmeJob}`,
      enc({
        jobId: acmeJob,
        kind: "progress",
        stage: "features",
        message: "shard-0",
        done: 1,
        total: 1,
        at: 1,
      }),
    );
    await gw.ports.bus.publishEvent({ jobId: acmeJob, kind: "log", message: "marker", at: Date.now() });
    const t0 = Date.now();
    while (!seen.includes("log:marker") && Date.now() - t0 < 10_000)
      await new Promise((r) => setTimeout(r, 50));
    off();
    expect(seen).toEqual(["progress:shard-0", "log:marker"]);
    const dropped = () =>
      logs.records().filter((l) => l.event === "outcome_for_another_stage_or_job_ignored").length;
    while (dropped() < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(dropped()).toBeGreaterThanOrEqual(2);
    expect(logs.records().some((l) => l.event === "event_not_of_its_publisher_s_stage_ignored")).toBe(true);
    const after = await acme.getJob(acmeJob);
    expect(after.state).toBe("JOB_STATE_SUCCEEDED");
    expect(after.stages).toEqual(progressBefore);
  });

  it("a record re-pointed to another tenant is not served to anyone", async () => {
    // An intruder with write access to the KV bucket (here: the gateway's own credentials).
    const nc = await connectAs("adq-gateway");
    const kv = await new Kvm(nc).open("adq-jobs");
    const entry = await kv.get(acmeJob);
    const rec = entry!.json<Record<string, unknown>>();
    expect(rec.tenant).toBe("acme");
    await kv.put(acmeJob, JSON.stringify({ ...rec, tenant: "globex" }));
    await expectStatus(() => globex.getJob(acmeJob), grpc.status.NOT_FOUND);
    await expectStatus(() => globex.getResult(acmeJob), grpc.status.NOT_FOUND);
    await expectStatus(() => acme.getJob(acmeJob), grpc.status.NOT_FOUND);
    expect((await globex.listJobs({})).jobs.map((j) => j.id)).not.toContain(acmeJob);
    // An unsigned record planted under a fresh id is not served either.
    const planted = "job-00000000000000000099";
    await kv.put(planted, JSON.stringify({ ...rec, id: planted, tenant: "globex", _sig: undefined }));
    await expectStatus(() => globex.getJob(planted), grpc.status.NOT_FOUND);
    expect(logs.records().some((l) => l.event === "job_record_rejected")).toBe(true);
    // The signed original is served again to its owner only.
    await kv.put(acmeJob, JSON.stringify(rec));
    expect((await acme.getJob(acmeJob)).id).toBe(acmeJob);
    await expectStatus(() => globex.getJob(acmeJob), grpc.status.NOT_FOUND);
  });

  it("a signed record saved before DeleteJob and put back stays deleted (issue 28)", async () => {
    const nc = await connectAs("adq-gateway");
    const kv = await new Kvm(nc).open("adq-jobs");
    const saved = (await kv.get(acmeJob))!.string();
    expect(JSON.parse(saved)._sig).toBeDefined();
    await acme.deleteJob(acmeJob);
    await expectStatus(() => acme.getJob(acmeJob), grpc.status.NOT_FOUND);
    // The replay: the whole signed record, byte for byte.
    await kv.put(acmeJob, saved);
    await expectStatus(() => acme.getJob(acmeJob), grpc.status.NOT_FOUND);
    await expectStatus(() => acme.getResult(acmeJob), grpc.status.NOT_FOUND);
    await expectStatus(() => acme.deleteJob(acmeJob), grpc.status.NOT_FOUND);
    expect((await acme.listJobs({})).jobs.map((j) => j.id)).not.toContain(acmeJob);
    expect(
      logs
        .records()
        .some((l) => l.event === "job_record_rejected" && l.id === acmeJob && /deleted/.test(String(l.why))),
    ).toBe(true);
    // The tombstone is signed: one planted for a live job is refused, the job stays.
    const { job } = await globex.createJob({
      dataset: { uri: `file://${data}` },
      params: { ratio: 0.5, seed: 1, method: "METHOD_RANDOM" } as never,
    });
    await kv.put(`deleted.${job.id}`, JSON.stringify({ id: `deleted.${job.id}`, deletedRecord: job.id }));
    expect((await globex.getJob(job.id)).id).toBe(job.id);
    await watchToEnd(globex, job.id);
  }, 60_000);

  it("never logs a password, and a URL's user info is redacted", async () => {
    const all = JSON.stringify(logs.lines);
    for (const p of Object.values(PASSWORDS)) expect(all).not.toContain(p);
    expect(logs.records().find((l) => l.event === "nats_connecting")).toMatchObject({
      auth: "user-password",
    });
    expect(redactUrl("nats://u1:p1secret@host:4222")).toBe("nats://***@host:4222");
    const sink = new MemorySink();
    const hostPort = nats.url.slice("nats://".length);
    const err = await openClusterPorts({
      nats: `nats://u1:p1secret@${hostPort}`,
      name: "adq-intruder",
      log: new Logger(sink),
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(NatsConnectError);
    expect((err as Error).message).toMatch(/Authorization Violation/);
    expect((err as Error).message + JSON.stringify(sink.lines)).not.toContain("p1secret");
    await expect(
      openClusterPorts({ nats: "nats://u1:p1secret@bad host:1", name: "x", log: new Logger(sink) }),
    ).rejects.toThrow(/not a nats:\/\/ or tls:\/\/ URL: nats:\/\/\*\*\*@bad host:1/);
  });
});

describe("NATS over TLS with client certificates (--nats-tls-ca/--nats-tls-cert/--nats-tls-key)", () => {
  it("connects with the CA and a client certificate; refuses no certificate and a foreign CA", async () => {
    const pki = makePki();
    const conf = join(pki.dir, "tls.conf");
    writeFileSync(
      conf,
      `tls {\n  cert_file: "${pki.server.cert}"\n  key_file: "${pki.server.key}"\n  ca_file: "${pki.ca}"\n  verify: true\n}\n`,
    );
    const srv = await startNatsServer({ config: conf });
    try {
      const nc = await connectNats({
        servers: srv.url,
        name: "adq-tls-test",
        auth: { tlsCaFile: pki.ca, tlsCertFile: pki.client.cert, tlsKeyFile: pki.client.key },
      });
      expect(nc.info?.tls_required).toBe(true);
      await nc.close();
      await expect(
        connectNats({ servers: srv.url, name: "adq-tls-test", auth: { tlsCaFile: pki.ca }, timeoutMs: 3000 }),
      ).rejects.toThrow();
      await expect(
        connectNats({
          servers: srv.url,
          name: "adq-tls-test",
          auth: { tlsCaFile: pki.otherCa, tlsCertFile: pki.client.cert, tlsKeyFile: pki.client.key },
          timeoutMs: 3000,
        }),
      ).rejects.toThrow();
    } finally {
      await srv.stop();
    }
  });
});
