/**
 * gRPC server plumbing shared by every service: binding, graceful shutdown, and the
 * wrappers that give each handler authentication, one structured log line per call and
 * the error mapping of errors.ts.
 */
import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { invalidArgument, RpcError, statusName, toRpcError, toServiceError } from "./errors.ts";
import type { HealthService } from "./health.ts";
import type { Logger } from "./log.ts";

/** Largest request message a server accepts: an upload chunk (1 MiB) plus framing. */
export const MAX_RECEIVE_MESSAGE_BYTES = 2 * 1024 * 1024;
/** Largest response message (DownloadResult chunks are ≤ 1 MiB). */
export const MAX_SEND_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * Request metadata (headers) a call may carry: an API key and tracing headers fit many times.
 * grpc-js has no server option for it (`grpc.max_metadata_size` is ignored there), so the
 * handler wrappers check it before anything else reads the metadata.
 */
export const MAX_METADATA_BYTES = 16 * 1024;
/** Concurrent calls (HTTP/2 streams) per client connection. */
export const MAX_CONCURRENT_STREAMS = 256;
/**
 * Longest string any request field may hold (a path or URI: PATH_MAX); fields with their
 * own, smaller limit (names, labels, keys) are checked by their handler.
 */
export const MAX_STRING_FIELD = 4096;

/** A gRPC server with the message and metadata size limits every service uses. */
export function newServer(options: grpc.ServerOptions = {}): grpc.Server {
  return new grpc.Server({
    "grpc.max_receive_message_length": MAX_RECEIVE_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_SEND_MESSAGE_BYTES,
    "grpc.max_concurrent_streams": MAX_CONCURRENT_STREAMS,
    ...options,
  });
}

/** Refuses a call whose metadata is larger than MAX_METADATA_BYTES (RESOURCE_EXHAUSTED). */
export function checkMetadataSize(md: grpc.Metadata): void {
  let bytes = 0;
  for (const [k, v] of Object.entries(md.getMap()))
    bytes += k.length + (typeof v === "string" ? Buffer.byteLength(v) : v.length);
  if (bytes > MAX_METADATA_BYTES)
    throw new RpcError(
      grpc.status.RESOURCE_EXHAUSTED,
      `request metadata of ${bytes} bytes (at most ${MAX_METADATA_BYTES})`,
    );
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Refuses a request holding a string longer than MAX_STRING_FIELD anywhere (map keys
 * included), naming its proto field path — before anything logs or stores it.
 */
export function checkStringFields(value: unknown, path = ""): void {
  if (typeof value === "string") {
    if (value.length > MAX_STRING_FIELD)
      throw invalidArgument(path || "request", `at most ${MAX_STRING_FIELD} characters, got ${value.length}`);
    return;
  }
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkStringFields(v, `${path}[${i}]`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${snake(k)}` : snake(k);
    if (k.length > MAX_STRING_FIELD)
      throw invalidArgument(
        path || "request",
        `a key of ${k.length} characters (at most ${MAX_STRING_FIELD})`,
      );
    checkStringFields(v, p);
  }
}

export async function bindServer(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/**
 * Stops a server gracefully: no new calls, in-flight calls may finish until `deadlineMs`,
 * then every remaining call is cancelled (forceShutdown). Resolves `true` when the
 * graceful path completed in time.
 */
export async function shutdownServer(server: grpc.Server, deadlineMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const graceful = new Promise<boolean>((resolve) => {
    server.tryShutdown(() => resolve(true));
  });
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadlineMs));
    timer.unref?.();
  });
  const ok = await Promise.race([graceful, deadline]);
  if (timer) clearTimeout(timer);
  if (!ok) server.forceShutdown();
  return ok;
}

/** What a server process closes the same way: its gRPC server, its health service, its log. */
export interface StoppableServer {
  server: grpc.Server;
  health: Pick<HealthService, "setAll" | "closeWatchers">;
  log: Logger;
  /** The close's deadline when the caller gives none. */
  deadlineMs: number;
  /** How long the gRPC server's calls may take to end, of the deadline (default: all of it). */
  serverMs?: (deadlineMs: number) => number;
}

/**
 * A server process's `close`, which runs once however often it is called: health turns
 * NOT_SERVING (watchers closed), the gRPC server shuts down (shutdownServer) while `drain`
 * stops the rest within the deadline, then `stopped` is logged with whether the server's
 * calls all ended in time.
 */
export function closeOnce(
  s: StoppableServer,
  drain: (deadlineMs: number) => Promise<void>,
): (deadlineMs?: number) => Promise<void> {
  let closing: Promise<void> | undefined;
  return (deadlineMs = s.deadlineMs) =>
    (closing ??= (async () => {
      const t0 = Date.now();
      s.health.setAll("NOT_SERVING");
      s.health.closeWatchers();
      const stopped = shutdownServer(s.server, s.serverMs ? s.serverMs(deadlineMs) : deadlineMs);
      await drain(deadlineMs);
      const graceful = await stopped;
      s.log.info("stopped", { graceful, ms: Date.now() - t0 });
    })());
}

/** Per-call context handed to handlers. */
export interface CallContext<T> {
  /** The authenticated principal (e.g. the tenant), from the `authenticate` hook. */
  principal: T;
  method: string;
  requestId: string;
  log: Logger;
  metadata: grpc.Metadata;
  /** Aborted when the client cancels the call or the deadline passes. */
  signal: AbortSignal;
  /** Adds fields (e.g. job_id) to the call's log line. */
  annotate(fields: Record<string, unknown>): void;
}

export interface HandlerOptions<T> {
  log: Logger;
  /** `peer`: the caller's address (`call.getPeer()`), for throttling failed attempts. */
  authenticate: (metadata: grpc.Metadata, peer?: string) => T;
  /** Log fields describing the principal, e.g. `{ tenant: t.id }`. */
  describe?: (principal: T) => Record<string, unknown>;
  /** Internal field name → proto field path for InvalidArgumentError. */
  fieldPath?: (field: string) => string;
  /** Called once per finished call with its status name (metrics). */
  onRpc?: (method: string, code: string, ms: number) => void;
}

function newContext<T>(
  method: string,
  metadata: grpc.Metadata,
  opts: HandlerOptions<T>,
  fields: Record<string, unknown>,
  controller: AbortController,
): Omit<CallContext<T>, "principal"> {
  const requestId = randomBytes(6).toString("hex");
  return {
    method,
    requestId,
    log: opts.log.child({ method, request_id: requestId }),
    metadata,
    signal: controller.signal,
    annotate: (f) => Object.assign(fields, f),
  };
}

function finish<T>(
  opts: HandlerOptions<T>,
  method: string,
  started: number,
  fields: Record<string, unknown>,
  err: RpcError | null,
): void {
  const base = { method, ...fields, ms: Date.now() - started };
  opts.onRpc?.(method, err ? statusName(err.code) : "OK", base.ms);
  if (!err) opts.log.info("rpc", { ...base, code: "OK" });
  else
    opts.log.log(err.code === grpc.status.INTERNAL ? "error" : "info", "rpc", {
      ...base,
      code: statusName(err.code),
      message: err.message,
    });
}

/**
 * Runs a call answered by one response (unary and client-streaming): authenticate, run,
 * log and count it, and map any error to its status. `onError` runs before the error status
 * is sent (a client stream stops reading there).
 */
function singleResponse<T, Res>(
  method: string,
  opts: HandlerOptions<T>,
  call: grpc.ServerUnaryCall<unknown, Res> | grpc.ServerReadableStream<unknown, Res>,
  callback: grpc.sendUnaryData<Res>,
  run: (ctx: CallContext<T>) => Promise<Res>,
  onError?: () => void,
): void {
  const started = Date.now();
  const fields: Record<string, unknown> = {};
  const controller = new AbortController();
  call.on("cancelled", () => controller.abort());
  const base = newContext(method, call.metadata, opts, fields, controller);
  void (async () => {
    try {
      checkMetadataSize(call.metadata);
      const principal = opts.authenticate(call.metadata, call.getPeer());
      Object.assign(fields, opts.describe?.(principal));
      const res = await run({ ...base, principal, log: base.log.child(fields) });
      finish(opts, method, started, fields, null);
      callback(null, res);
    } catch (e) {
      const err = toRpcError(e, base.log.child(fields), opts.fieldPath);
      finish(opts, method, started, fields, err);
      onError?.();
      callback(toServiceError(err));
    }
  })();
}

export function unaryHandler<T, Req, Res>(
  method: string,
  opts: HandlerOptions<T>,
  fn: (req: Req, ctx: CallContext<T>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) =>
    singleResponse(method, opts, call as grpc.ServerUnaryCall<unknown, Res>, callback, async (ctx) => {
      checkStringFields(call.request);
      return fn(call.request, ctx);
    });
}

export function serverStreamHandler<T, Req, Res>(
  method: string,
  opts: HandlerOptions<T>,
  fn: (req: Req, write: (msg: Res) => Promise<void>, ctx: CallContext<T>) => Promise<void>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    const started = Date.now();
    const fields: Record<string, unknown> = {};
    const controller = new AbortController();
    call.on("cancelled", () => controller.abort());
    call.on("close", () => controller.abort());
    const base = newContext(method, call.metadata, opts, fields, controller);
    /** Writes with backpressure; resolves when the message is buffered for sending. */
    const write = (msg: Res): Promise<void> =>
      new Promise((resolve, reject) => {
        if (call.cancelled || call.writableEnded) {
          reject(new CallEndedError());
          return;
        }
        const ok = call.write(msg);
        if (ok) resolve();
        else call.once("drain", () => resolve());
      });
    /** The client went away: counted and logged as CANCELLED, nothing more to send. */
    const cancelled = () => {
      opts.onRpc?.(method, "CANCELLED", Date.now() - started);
      opts.log.info("rpc", { method, ...fields, ms: Date.now() - started, code: "CANCELLED" });
    };
    void (async () => {
      try {
        checkMetadataSize(call.metadata);
        const principal = opts.authenticate(call.metadata, call.getPeer());
        Object.assign(fields, opts.describe?.(principal));
        checkStringFields(call.request);
        await fn(call.request, write, { ...base, principal, log: base.log.child(fields) });
        if (call.cancelled) return cancelled();
        finish(opts, method, started, fields, null);
        if (!call.writableEnded) call.end();
      } catch (e) {
        if (e instanceof CallEndedError || call.cancelled) return cancelled();
        const err = toRpcError(e, base.log.child(fields), opts.fieldPath);
        finish(opts, method, started, fields, err);
        call.emit("error", toServiceError(err));
      }
    })();
  };
}

/** The client went away while a stream was being written. */
export class CallEndedError extends Error {
  override readonly name = "CallEndedError";
}

/**
 * A client-streaming handler: authenticates from the metadata before reading anything,
 * then hands `fn` the request messages as an async iterable.
 */
export function clientStreamHandler<T, Req, Res>(
  method: string,
  opts: HandlerOptions<T>,
  fn: (messages: AsyncIterable<Req>, ctx: CallContext<T>) => Promise<Res>,
): grpc.handleClientStreamingCall<Req, Res> {
  return (call, callback) =>
    singleResponse(
      method,
      opts,
      call as grpc.ServerReadableStream<unknown, Res>,
      callback,
      (ctx) => fn(call as unknown as AsyncIterable<Req>, ctx),
      () => {
        // Stop reading what the client still sends; the status ends the call.
        call.removeAllListeners("data");
        call.resume();
      },
    );
}
