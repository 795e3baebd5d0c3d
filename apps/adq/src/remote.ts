/**
 * The remote client: `adq submit`, `adq watch`, `adq result` against a running gateway
 * (adq.v1.CompressionService over gRPC). Launching the servers is serve.ts.
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CompressionClient, downloadResultFiles, errorDetailsOf } from "@adq/service-common";
import type {
  ErrorDetails__Output as ErrorDetails,
  Job__Output as Job,
  JobEvent__Output as JobEvent,
  Stage__Output as StageEnum,
  StageProgress__Output as StageProgress,
} from "@adq/service-common/proto";
import * as grpc from "@grpc/grpc-js";
import { CLIENT_TLS_OPTIONS, clientSecurityFromFlags } from "./client-tls.ts";
import { onePositional, parseCommand, switchFlags, valueFlags } from "./flags.ts";
import { checkOutputTarget, isNonEmptyDir, UsageError, writeStaged } from "./output-dir.ts";
import { PARAM_OPTIONS, protoParamsFromFlags, unusedFlagWarnings } from "./param-flags.ts";
import { ConsoleProgress, type ProgressSink } from "./progress.ts";

const DEFAULT_SERVER = "127.0.0.1:50051";

export const REMOTE_HELP = `  adq submit <dataset> [compress options] [--idempotency-key k] [--name text] [--watch]
            [--reconstruct] [--keep-intermediates]   also publish reconstructed.tar / intermediates/
            [--out s3://bucket/prefix]  publish the result there when it succeeds (outputs.uri)
                                       create a job on a server (dataset: a path on the server); prints its id
                                       (--watch: then follows it as adq watch does, exit status included)
  adq watch <job-id>                   stream a job's progress until it ends
  adq result <job-id> --out <dir> [--force]
                                       download a finished job's files (atomically)
      submit / watch / result also take --server <host:port> [$ADQ_SERVER or ${DEFAULT_SERVER}]
      and --api-key <key> [$ADQ_API_KEY]
`;

const CLIENT_OPTIONS = { ...valueFlags("server", "api-key"), ...CLIENT_TLS_OPTIONS };

type ClientValues = {
  [K in keyof typeof CLIENT_OPTIONS]?: (typeof CLIENT_OPTIONS)[K] extends { type: "boolean" }
    ? boolean | undefined
    : string | undefined;
};

function connect(values: ClientValues): CompressionClient {
  const apiKey = values["api-key"] ?? process.env.ADQ_API_KEY;
  if (!apiKey) throw new UsageError("an API key is needed: --api-key <key> or $ADQ_API_KEY");
  const server = values.server ?? process.env.ADQ_SERVER ?? DEFAULT_SERVER;
  const sec = clientSecurityFromFlags(server, values);
  return new CompressionClient(server, {
    apiKey,
    credentials: sec.credentials,
    channelOptions: sec.channelOptions,
  });
}

/** One clean line for a failed call (status, message, field violations); exit code 1. */
function reportRpcError(e: unknown): number {
  const err = e as grpc.ServiceError;
  if (typeof err?.code !== "number") throw e;
  const name = grpc.status[err.code] ?? String(err.code);
  const details = errorDetailsOf(err);
  process.stderr.write(`adq: ${name}: ${err.details || err.message}\n`);
  if (details?.quota)
    process.stderr.write(`adq: quota ${details.quota.quota}: limit ${details.quota.limit}\n`);
  return err.code === grpc.status.INVALID_ARGUMENT || err.code === grpc.status.UNAUTHENTICATED ? 2 : 1;
}

function toUri(pathOrUri: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUri) ? pathOrUri : pathToFileURL(resolve(pathOrUri)).href;
}

const SUBMIT_FLAGS = {
  ...CLIENT_OPTIONS,
  ...PARAM_OPTIONS,
  ...valueFlags("model", "idempotency-key", "name", "out"),
  ...switchFlags("watch", "reconstruct", "keep-intermediates"),
};

export async function runSubmit(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, SUBMIT_FLAGS);
  const dataset = onePositional(positionals, "submit takes one data set (a path on the server, or a URI)");
  const out = values.out ?? "";
  if (out !== "" && !/^s3:\/\//i.test(out))
    throw new UsageError(
      `--out ${out}: a job publishes to s3://bucket/prefix only (use adq result --out <dir> for a local copy)`,
    );
  const params = protoParamsFromFlags(values);
  for (const w of unusedFlagWarnings(values)) process.stderr.write(`adq submit: warning: ${w}\n`);
  if (values.model) params.model = { uri: toUri(values.model), sha256: "" };
  const client = connect(values);
  try {
    const res = await client.createJob({
      dataset: { uri: toUri(dataset) },
      params,
      idempotencyKey: values["idempotency-key"] ?? "",
      displayName: values.name ?? "",
      outputs: {
        reconstruct: values.reconstruct === true,
        keepIntermediates: values["keep-intermediates"] === true,
        ...(out ? { uri: out } : {}),
      },
    });
    if (res.deduplicated) process.stderr.write("adq: an identical job already exists (idempotency key)\n");
    process.stdout.write(`${res.job.id}\n`);
    if (!values.watch) return 0;
    client.close();
    // The same connection flags, given to adq watch.
    const flags = Object.keys(CLIENT_OPTIONS).flatMap((k) => {
      const v = values[k as keyof ClientValues];
      return v === true ? [`--${k}`] : typeof v === "string" ? [`--${k}`, v] : [];
    });
    return await runWatch([res.job.id, ...flags]);
  } catch (e) {
    return reportRpcError(e);
  } finally {
    client.close();
  }
}

/** Coordinator stage names, as `adq compress` shows them. */
const STAGE_LABEL: Partial<Record<StageEnum, string>> = {
  STAGE_FEATURES: "features",
  STAGE_BINNING: "binning",
  STAGE_SCORING: "scoring",
  STAGE_SAMPLING: "sampling",
  STAGE_REPORT: "assemble",
};

function ms(t: { seconds: string | number; nanos: number } | null | undefined): number | undefined {
  return t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : undefined;
}

/**
 * Feeds WatchJob events into the same ConsoleProgress as `adq compress`. Its clock is
 * driven by the server's timestamps, so durations and ETAs are the job's own — also when
 * watching a job that has already ended (the snapshot replays its stages).
 */
export class WatchRenderer {
  private current: string | null = null;
  private clock = 0;
  private readonly progress: ProgressSink;

  constructor(out: { write(s: string): unknown; isTTY?: boolean; columns?: number } = process.stderr) {
    this.progress = new ConsoleProgress(out, () => this.clock);
  }

  private at(t: number | undefined): void {
    if (t !== undefined) this.clock = Math.max(this.clock, t);
  }

  private show(p: StageProgress, time: number | undefined): void {
    const label = STAGE_LABEL[p.stage];
    if (!label) return;
    const done = Number(p.done);
    const total = Number(p.total);
    if (label !== this.current) {
      if (this.current) this.progress.finish();
      this.at(ms(p.startTime) ?? time);
      this.current = label;
      this.progress.stage(label, total);
    }
    this.at(time);
    this.progress.advance(done);
    if (p.state === "STAGE_STATE_SUCCEEDED") {
      this.at(ms(p.endTime));
      this.progress.finish();
      this.current = null;
    }
  }

  onEvent(ev: JobEvent): void {
    const time = ms(ev.time);
    if (ev.snapshot) {
      // Stages already started, in pipeline order: finished ones as summary lines, the
      // running one as a live bar.
      for (const s of ev.snapshot.stages) {
        if (s.state === "STAGE_STATE_SUCCEEDED" || s.state === "STAGE_STATE_RUNNING") this.show(s, time);
      }
    } else if (ev.progress) {
      this.show(ev.progress, time);
    } else if (ev.terminal && this.current) {
      this.at(time);
      if (ev.terminal.state === "JOB_STATE_SUCCEEDED") this.progress.finish();
      this.current = null;
    }
  }
}

function describeError(e: ErrorDetails | null | undefined): string {
  if (!e) return "unknown error";
  const files = (e.badFiles ?? []).map((b) => `  ${b.path}: ${b.reason}`).join("\n");
  return `${e.code || "ERROR"}: ${e.message}${files ? `\n${files}` : ""}`;
}

export async function runWatch(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, CLIENT_OPTIONS);
  const jobId = onePositional(positionals, "watch takes one job id");
  const client = connect(values);
  const renderer = new WatchRenderer();
  let after = 0;
  let final: JobEvent | undefined;
  let job: Job | undefined;
  try {
    for (let attempt = 0; !final; attempt++) {
      try {
        for await (const ev of client.watchJob(jobId, after)) {
          after = Math.max(after, Number(ev.sequence));
          if (ev.snapshot) job = ev.snapshot;
          renderer.onEvent(ev);
          if (ev.terminal) final = ev;
        }
        if (!final) throw Object.assign(new Error("stream ended early"), { code: grpc.status.UNAVAILABLE });
      } catch (e) {
        const code = (e as grpc.ServiceError).code;
        // A broken stream resumes from the last event seen (after_sequence).
        if (code === grpc.status.UNAVAILABLE && attempt < 5) {
          await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
          continue;
        }
        return reportRpcError(e);
      }
    }
  } finally {
    client.close();
  }
  const t = final.terminal!;
  if (t.state === "JOB_STATE_SUCCEEDED") {
    const s = t.summary;
    process.stdout.write(
      `job ${jobId} succeeded${s ? `: selected ${s.selectedItems} of ${s.totalItems} images` : ""}\n`,
    );
    return 0;
  }
  if (t.state === "JOB_STATE_CANCELLED") {
    process.stderr.write(
      `adq: job ${jobId} was cancelled${job?.cancelReason ? `: ${job.cancelReason}` : ""}\n`,
    );
    return 1;
  }
  process.stderr.write(`adq: job ${jobId} failed: ${describeError(t.error)}\n`);
  return 1;
}

const RESULT_FLAGS = { ...CLIENT_OPTIONS, ...valueFlags("out"), ...switchFlags("force") };

export async function runResult(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, RESULT_FLAGS);
  const jobId = onePositional(positionals, "result takes one job id");
  if (!values.out) throw new UsageError("result needs --out <dir>");
  const out = resolve(values.out);
  await checkOutputTarget(out, []);
  if ((await isNonEmptyDir(out)) && !values.force)
    throw new UsageError(`--out ${out} already exists and is not empty (use --force to replace it)`);
  const client = connect(values);
  try {
    await writeStaged(out, values.force === true, [], (tmp) => downloadResultFiles(client, jobId, tmp));
    process.stdout.write(`result: ${out}\n`);
    return 0;
  } catch (e) {
    if (typeof (e as grpc.ServiceError).code === "number") return reportRpcError(e);
    throw e;
  } finally {
    client.close();
  }
}
