import { join } from "node:path";
import { DEFAULT_MODEL, GENERAL_MODEL } from "@adq/cli";
import { startAllInOne } from "@adq/gateway";
import type { AllInOne, AllInOneOptions } from "@adq/gateway/testing";
import type { Bus, LocalBus, TaskMessage } from "@adq/platform";
import { ApiKeyAuthenticator, CompressionClient, errorDetailsOf, Logger } from "@adq/service-common";
import type {
  ErrorDetails__Output as ErrorDetails,
  JobEvent__Output as JobEvent,
} from "@adq/service-common/proto";
import { hashApiKey, MemorySink } from "@adq/service-common/testing";
import type * as grpc from "@grpc/grpc-js";
import { expect } from "vitest";
import { runCli } from "../e2e/cli.ts";
import { tmp } from "../e2e/helpers.ts";

export const KEYS = { acme: "acme-secret-key", globex: "globex-secret-key" } as const;

/**
 * Holds the tasks of chosen stages in the wrapper (as a backlog in a real queue would),
 * publishing them to the inner bus on release — unless their job was dropped meanwhile.
 */
export class HoldingBus implements Bus {
  holdStages = new Set<string>();
  private held: TaskMessage[] = [];
  private readonly dropped = new Set<string>();

  constructor(readonly inner: LocalBus) {}

  async publishTask(task: TaskMessage): Promise<void> {
    if (this.holdStages.has(task.stage)) {
      this.held.push(task);
      return;
    }
    await this.inner.publishTask(task);
  }
  heldFor(jobId: string): number {
    return this.held.filter((t) => t.jobId === jobId).length;
  }
  async cancelJob(jobId: string): Promise<number> {
    this.dropped.add(jobId);
    const n = this.heldFor(jobId);
    this.held = this.held.filter((t) => t.jobId !== jobId);
    return n + (await this.inner.cancelJob(jobId));
  }
  async release(): Promise<void> {
    this.holdStages.clear();
    const tasks = this.held.splice(0);
    for (const t of tasks) if (!this.dropped.has(t.jobId)) await this.inner.publishTask(t);
  }
  consume: Bus["consume"] = (...a) => this.inner.consume(...a);
  onOutcome: Bus["onOutcome"] = (l) => this.inner.onOutcome(l);
  publishEvent: Bus["publishEvent"] = (e) => this.inner.publishEvent(e);
  subscribeEvents: Bus["subscribeEvents"] = (id, l) => this.inner.subscribeEvents(id, l);
  close: Bus["close"] = () => this.inner.close();
}

export interface TestServer {
  srv: AllInOne;
  bus: HoldingBus;
  logs: MemorySink;
  acme: CompressionClient;
  globex: CompressionClient;
  client(key?: string): CompressionClient;
  close(): Promise<void>;
}

export async function startTestServer(
  dataRoots: string[],
  cacheDir = tmp("adq-svc-cache-"),
  extra: Partial<AllInOneOptions> = {},
): Promise<TestServer> {
  const logs = new MemorySink();
  const auth = new ApiKeyAuthenticator([
    { id: "acme", keys: [hashApiKey(KEYS.acme)], quotas: { concurrent_jobs: 8 } },
    { id: "globex", keys: [`sha256:${hashApiKey(KEYS.globex)}`], quotas: { concurrent_jobs: 1 } },
  ]);
  let bus!: HoldingBus;
  const srv = await startAllInOne({
    address: "127.0.0.1:0",
    auth,
    dataRoots,
    cacheDir,
    defaultModel: DEFAULT_MODEL,
    heldOutModel: GENERAL_MODEL,
    concurrency: 2,
    threads: 1,
    log: new Logger(logs),
    watchPollMs: 200,
    progressIntervalMs: 50,
    wrapBus: (inner) => {
      bus = new HoldingBus(inner);
      return bus;
    },
    ...extra,
  });
  const clients: CompressionClient[] = [];
  const client = (key?: string) => {
    const c = new CompressionClient(srv.address, key === undefined ? {} : { apiKey: key });
    clients.push(c);
    return c;
  };
  return {
    srv,
    bus,
    logs,
    acme: client(KEYS.acme),
    globex: client(KEYS.globex),
    client,
    async close() {
      for (const c of clients) c.close();
      await bus.release();
      await srv.close(5000);
    },
  };
}

/**
 * A test server that accepts uploads into a fresh `uploadRoot` (returned with it), its data root
 * and cache fresh too (temp dirs named after `name`); `extra` adds options (upload limits…).
 */
export async function startUploadServer(
  name: string,
  extra: Partial<AllInOneOptions> = {},
): Promise<{ t: TestServer; uploadRoot: string }> {
  const uploadRoot = tmp(`adq-${name}-uploads-`);
  const t = await startTestServer([tmp(`adq-${name}-root-`)], tmp(`adq-${name}-cache-`), {
    uploadRoot,
    ...extra,
  });
  return { t, uploadRoot };
}

/** Runs `fn`, expects a gRPC failure with `code`; returns the error and its ErrorDetails trailer. */
export async function expectStatus(
  fn: () => Promise<unknown>,
  code: grpc.status,
): Promise<{ err: grpc.ServiceError; details: ErrorDetails | undefined }> {
  let err: grpc.ServiceError | undefined;
  try {
    await fn();
  } catch (e) {
    err = e as grpc.ServiceError;
  }
  expect(err, "the call should have failed").toBeDefined();
  expect({ code: err!.code, details: err!.details }).toMatchObject({ code });
  return { err: err!, details: errorDetailsOf(err) };
}

export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const ev of stream) out.push(ev);
  return out;
}

/** Watches a job to its end; returns every event. */
export async function watchToEnd(c: CompressionClient, jobId: string): Promise<JobEvent[]> {
  return collect(c.watchJob(jobId));
}

/** Watches a job to its end and returns the terminal event's content (state, error). */
export async function failureOf(c: CompressionClient, jobId: string) {
  const terminal = (await watchToEnd(c, jobId)).at(-1)!.terminal!;
  expect(terminal.state).toBe("JOB_STATE_FAILED");
  return terminal;
}

/** Watches a job to its end and expects it SUCCEEDED (its error in the message if not); returns every event. */
export async function succeeded(c: CompressionClient, jobId: string): Promise<JobEvent[]> {
  const events = await watchToEnd(c, jobId);
  const terminal = events.at(-1)?.terminal;
  expect(terminal?.state, JSON.stringify(terminal?.error)).toBe("JOB_STATE_SUCCEEDED");
  return events;
}

/** Creates a job over the local directory `data` and watches it to success; returns its id. */
export async function succeededJob(
  c: CompressionClient,
  data: string,
  params: Parameters<CompressionClient["createJob"]>[0]["params"],
): Promise<string> {
  const { job } = await c.createJob({ dataset: { uri: `file://${data}` }, params });
  await succeeded(c, job.id);
  return job.id;
}

/** A JSON result file of a job (manifest.json, bins.json…), parsed. */
export async function downloadJson<T>(c: CompressionClient, jobId: string, name: string): Promise<T> {
  return JSON.parse((await download(c, jobId, name)).toString("utf8")) as T;
}

export async function download(
  c: CompressionClient,
  jobId: string,
  name: string,
  offset = 0,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of c.downloadResult({ jobId, name, offset })) parts.push(Buffer.from(chunk.data));
  return Buffer.concat(parts);
}

/**
 * Starts `adq compress` of `data` with `flags` now, as the reference a service result must
 * equal; `done` settles when it exited 0 without an unexpected error.
 */
export function referenceCompress(data: string, flags: string[]): { out: string; done: Promise<void> } {
  const out = join(tmp("adq-ref-"), "out");
  const done = runCli(["compress", data, "--out", out, "--cache-dir", tmp("adq-ref-cache-"), ...flags]).then(
    (r) => {
      expect(r.stderr).not.toMatch(/unexpected error/);
      expect(r.code).toBe(0);
    },
  );
  return { out, done };
}
