/**
 * A small promise/async-iterator client of `adq.v1.CompressionService` (used by
 * `adq submit / watch / result` and the tests). The API key goes in every call's
 * `authorization: Bearer <key>` metadata.
 */
import * as grpc from "@grpc/grpc-js";
import type {
  CancelJobRequest,
  CompressionServiceClient,
  CreateJobRequest,
  CreateJobResponse__Output,
  DeleteJobResponse__Output,
  DeleteUploadResponse__Output,
  DownloadResultChunk__Output,
  DownloadResultRequest,
  ErrorDetails__Output,
  HealthCheckResponse__Output,
  HealthClient,
  Job__Output,
  JobEvent__Output,
  JobResult__Output,
  ListJobsRequest,
  ListJobsResponse__Output,
  UploadDatasetRequest,
  UploadDatasetResponse__Output,
  UploadHeader,
} from "./generated/index.ts";
import { compressionClientConstructor, healthClientConstructor } from "./proto.ts";
import { errorDetailsFromStatus, STATUS_DETAILS_TRAILER } from "./status-details.ts";

/** The adq.v1.ErrorDetails in a failed call's rich status, if the server sent one. */
export function errorDetailsOf(err: unknown): ErrorDetails__Output | undefined {
  const md = (err as grpc.ServiceError | undefined)?.metadata;
  const v = md?.get(STATUS_DETAILS_TRAILER)[0];
  if (!v || typeof v === "string") return undefined;
  try {
    return errorDetailsFromStatus(v);
  } catch {
    return undefined;
  }
}

export interface ClientOptions {
  apiKey?: string;
  credentials?: grpc.ChannelCredentials;
  /** Channel options (e.g. the TLS server name override of common/tls.ts). */
  channelOptions?: grpc.ChannelOptions;
  /** Per-call deadline for unary calls (ms). */
  timeoutMs?: number;
}

type ClientConstructor<C> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => C;

/** A call of the typed client answered by one response, as (metadata, options, callback). */
type Unary<Res> = (md: grpc.Metadata, opts: grpc.CallOptions, cb: grpc.requestCallback<Res>) => unknown;

/**
 * `msg` with `keys` checked present: message fields the contract always sets in this response
 * (a response without them is the server's protocol error, not a null for every caller to test).
 */
function present<T, K extends keyof T>(
  msg: T,
  rpc: string,
  ...keys: K[]
): T & { [P in K]-?: NonNullable<T[P]> } {
  for (const k of keys)
    if (msg[k] === null || msg[k] === undefined) throw new Error(`${rpc}: the response has no ${String(k)}`);
  return msg as T & { [P in K]-?: NonNullable<T[P]> };
}

export class CompressionClient {
  /** The generated client (proto-loader-gen-types), for calls this wrapper does not cover. */
  readonly raw: CompressionServiceClient;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;

  constructor(address: string, o: ClientOptions = {}) {
    const Ctor = compressionClientConstructor() as unknown as ClientConstructor<CompressionServiceClient>;
    this.raw = new Ctor(address, o.credentials ?? grpc.credentials.createInsecure(), o.channelOptions ?? {});
    this.apiKey = o.apiKey;
    this.timeoutMs = o.timeoutMs ?? 60_000;
  }

  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.apiKey !== undefined) md.set("authorization", `Bearer ${this.apiKey}`);
    return md;
  }

  private unary<Res>(call: Unary<Res>): Promise<Res> {
    return new Promise((resolve, reject) => {
      call(this.metadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) =>
        err || res === undefined ? reject(err ?? new Error("no response")) : resolve(res),
      );
    });
  }

  private stream<Res>(call: grpc.ClientReadableStream<Res>, signal?: AbortSignal): AsyncIterable<Res> {
    signal?.addEventListener("abort", () => call.cancel(), { once: true });
    return call;
  }

  async createJob(req: CreateJobRequest) {
    const res = await this.unary<CreateJobResponse__Output>((md, o, cb) =>
      this.raw.createJob(req, md, o, cb),
    );
    return present(res, "CreateJob", "job");
  }
  getJob(jobId: string): Promise<Job__Output> {
    return this.unary((md, o, cb) => this.raw.getJob({ jobId }, md, o, cb));
  }
  cancelJob(req: CancelJobRequest & { jobId: string }): Promise<Job__Output> {
    return this.unary((md, o, cb) => this.raw.cancelJob(req, md, o, cb));
  }
  listJobs(req: ListJobsRequest = {}): Promise<ListJobsResponse__Output> {
    return this.unary((md, o, cb) => this.raw.listJobs(req, md, o, cb));
  }
  deleteUpload(datasetUri: string): Promise<DeleteUploadResponse__Output> {
    return this.unary((md, o, cb) => this.raw.deleteUpload({ datasetUri }, md, o, cb));
  }

  deleteJob(jobId: string): Promise<DeleteJobResponse__Output> {
    return this.unary((md, o, cb) => this.raw.deleteJob({ jobId }, md, o, cb));
  }
  getResult(jobId: string): Promise<JobResult__Output> {
    return this.unary((md, o, cb) => this.raw.getResult({ jobId }, md, o, cb));
  }
  watchJob(jobId: string, afterSequence = 0, signal?: AbortSignal): AsyncIterable<JobEvent__Output> {
    return this.stream(this.raw.watchJob({ jobId, afterSequence }, this.metadata(), {}), signal);
  }
  downloadResult(
    req: DownloadResultRequest & { jobId: string; name: string },
  ): AsyncIterable<DownloadResultChunk__Output> {
    return this.stream(this.raw.downloadResult(req, this.metadata(), {}));
  }

  /**
   * Uploads an archive: the header, then the bytes in chunks of `chunkSize` (≤ 1 MiB).
   * `messages` overrides what is sent (tests of malformed streams).
   */
  async uploadDataset(
    header: UploadHeader,
    archive: Uint8Array,
    o: { chunkSize?: number; messages?: UploadDatasetRequest[] } = {},
  ) {
    const res = await this.unary<UploadDatasetResponse__Output>((md, opts, cb) => {
      const call = this.raw.uploadDataset(md, opts, cb);
      const size = o.chunkSize ?? 1024 * 1024;
      const messages = o.messages ?? [
        { header: { sizeBytes: archive.length, ...header } },
        ...Array.from({ length: Math.ceil(archive.length / size) }, (_, i) => ({
          chunk: archive.subarray(i * size, (i + 1) * size),
        })),
      ];
      for (const m of messages) call.write(m);
      call.end();
    });
    return present(res, "UploadDataset", "dataset", "archive", "summary");
  }

  close(): void {
    this.raw.close();
  }
}

/** grpc.health.v1 Check: the serving status of `service` ("" for the server). */
export async function checkHealth(
  address: string,
  service = "",
  timeoutMs = 5000,
  security: { credentials?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions } = {},
): Promise<HealthCheckResponse__Output["status"]> {
  const Ctor = healthClientConstructor() as unknown as ClientConstructor<HealthClient>;
  const c = new Ctor(
    address,
    security.credentials ?? grpc.credentials.createInsecure(),
    security.channelOptions ?? {},
  );
  try {
    return await new Promise((resolve, reject) => {
      c.check({ service }, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
        err || !res ? reject(err ?? new Error("no response")) : resolve(res.status),
      );
    });
  } finally {
    c.close();
  }
}
