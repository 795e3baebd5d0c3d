/**
 * A small promise/async-iterator client of `adq.v1.CompressionService` (used by
 * `adq submit / watch / result` and the tests). The API key goes in every call's
 * `authorization: Bearer <key>` metadata.
 */
import * as grpc from "@grpc/grpc-js";
import { compressionClientConstructor, healthClientConstructor } from "./proto.ts";
import { errorDetailsFromStatus, STATUS_DETAILS_TRAILER } from "./status-details.ts";
import type {
  CancelJobRequest,
  CreateJobRequest,
  CreateJobResponse,
  DownloadResultChunk,
  DownloadResultRequest,
  ErrorDetails,
  HealthStatus,
  Job,
  JobEvent,
  JobResult,
  ListJobsRequest,
  ListJobsResponse,
  UploadDatasetResponse,
  UploadHeader,
} from "./types.ts";

type UnaryFn = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => grpc.ClientUnaryCall;
type StreamFn = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;

/** The adq.v1.ErrorDetails in a failed call's rich status, if the server sent one. */
export function errorDetailsOf(err: unknown): ErrorDetails | undefined {
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

export class CompressionClient {
  readonly raw: grpc.Client & Record<string, UnaryFn | StreamFn>;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;

  constructor(address: string, o: ClientOptions = {}) {
    const Ctor = compressionClientConstructor();
    this.raw = new Ctor(
      address,
      o.credentials ?? grpc.credentials.createInsecure(),
      o.channelOptions ?? {},
    ) as grpc.Client & Record<string, UnaryFn | StreamFn>;
    this.apiKey = o.apiKey;
    this.timeoutMs = o.timeoutMs ?? 60_000;
  }

  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.apiKey !== undefined) md.set("authorization", `Bearer ${this.apiKey}`);
    return md;
  }

  private unary<Res>(method: string, req: unknown): Promise<Res> {
    const fn = this.raw[method] as UnaryFn;
    return new Promise((resolve, reject) => {
      fn.call(this.raw, req, this.metadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) =>
        err ? reject(err) : resolve(res as Res),
      );
    });
  }

  private stream<Res>(method: string, req: unknown, signal?: AbortSignal): AsyncIterable<Res> {
    const fn = this.raw[method] as StreamFn;
    const call = fn.call(this.raw, req, this.metadata(), {});
    signal?.addEventListener("abort", () => call.cancel(), { once: true });
    return call as AsyncIterable<Res>;
  }

  createJob(req: Partial<CreateJobRequest>): Promise<CreateJobResponse> {
    return this.unary("CreateJob", req);
  }
  getJob(jobId: string): Promise<Job> {
    return this.unary("GetJob", { jobId });
  }
  cancelJob(req: Partial<CancelJobRequest> & { jobId: string }): Promise<Job> {
    return this.unary("CancelJob", req);
  }
  listJobs(req: Partial<ListJobsRequest> = {}): Promise<ListJobsResponse> {
    return this.unary("ListJobs", req);
  }
  deleteUpload(datasetUri: string): Promise<Record<string, never>> {
    return this.unary("DeleteUpload", { datasetUri });
  }

  deleteJob(jobId: string): Promise<Record<string, never>> {
    return this.unary("DeleteJob", { jobId });
  }
  getResult(jobId: string): Promise<JobResult> {
    return this.unary("GetResult", { jobId });
  }
  watchJob(jobId: string, afterSequence = 0, signal?: AbortSignal): AsyncIterable<JobEvent> {
    return this.stream("WatchJob", { jobId, afterSequence }, signal);
  }
  downloadResult(
    req: Partial<DownloadResultRequest> & { jobId: string; name: string },
  ): AsyncIterable<DownloadResultChunk> {
    return this.stream("DownloadResult", req);
  }

  /**
   * Uploads an archive: the header, then the bytes in chunks of `chunkSize` (≤ 1 MiB).
   * `messages` overrides what is sent (tests of malformed streams).
   */
  uploadDataset(
    header: Partial<UploadHeader>,
    archive: Uint8Array,
    o: { chunkSize?: number; messages?: unknown[] } = {},
  ): Promise<UploadDatasetResponse> {
    const fn = this.raw.UploadDataset as unknown as (
      md: grpc.Metadata,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res: unknown) => void,
    ) => grpc.ClientWritableStream<unknown>;
    return new Promise((resolve, reject) => {
      const call = fn.call(
        this.raw,
        this.metadata(),
        { deadline: Date.now() + this.timeoutMs },
        (err, res) => (err ? reject(err) : resolve(res as UploadDatasetResponse)),
      );
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
  }

  close(): void {
    this.raw.close();
  }
}

/** grpc.health.v1 Check. */
export async function checkHealth(
  address: string,
  service = "",
  timeoutMs = 5000,
  security: { credentials?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions } = {},
): Promise<HealthStatus> {
  const Ctor = healthClientConstructor();
  const c = new Ctor(
    address,
    security.credentials ?? grpc.credentials.createInsecure(),
    security.channelOptions ?? {},
  ) as grpc.Client & Record<string, UnaryFn>;
  try {
    return await new Promise<HealthStatus>((resolve, reject) => {
      (c.Check as UnaryFn).call(
        c,
        { service },
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => (err ? reject(err) : resolve((res as { status: HealthStatus }).status)),
      );
    });
  } finally {
    c.close();
  }
}
