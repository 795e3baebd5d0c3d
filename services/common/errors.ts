/**
 * The one place where errors become gRPC statuses (proto/README.md, "Errors"):
 * a precise code, a message a human can act on, and the standard rich status in the
 * `grpc-status-details-bin` trailer (status-details.ts): ErrorInfo with a reason for every
 * error, BadRequest, QuotaFailure, RetryInfo where a retry helps, and adq.v1.ErrorDetails.
 * Unexpected errors become INTERNAL with a correlation id; the stack goes to the log only.
 */
import { randomBytes } from "node:crypto";
import { type ErrorInfo, type ErrorStatus, errorInfo } from "@adq/core";
import * as grpc from "@grpc/grpc-js";
import type {
  Duration,
  ErrorDetails,
  ErrorReason__Output as ErrorReasonName,
  FieldViolation,
  QuotaViolation,
} from "./generated/index.ts";
import type { Logger } from "./log.ts";
import { encodeStatus, STATUS_DETAILS_TRAILER } from "./status-details.ts";

/** The reason of an error raised without one: every failed call names a reason. */
const DEFAULT_REASON: Partial<Record<grpc.status, ErrorReasonName>> = {
  [grpc.status.INVALID_ARGUMENT]: "ERROR_REASON_INVALID_ARGUMENT",
  [grpc.status.UNAUTHENTICATED]: "ERROR_REASON_UNAUTHENTICATED",
  [grpc.status.PERMISSION_DENIED]: "ERROR_REASON_UNAUTHENTICATED",
  [grpc.status.NOT_FOUND]: "ERROR_REASON_NOT_FOUND",
  [grpc.status.UNIMPLEMENTED]: "ERROR_REASON_UNIMPLEMENTED",
  [grpc.status.UNAVAILABLE]: "ERROR_REASON_BACKEND_UNAVAILABLE",
  [grpc.status.ABORTED]: "ERROR_REASON_CONCURRENT_UPDATE",
  [grpc.status.OUT_OF_RANGE]: "ERROR_REASON_OUT_OF_RANGE",
  [grpc.status.DATA_LOSS]: "ERROR_REASON_DATA_LOSS",
  [grpc.status.FAILED_PRECONDITION]: "ERROR_REASON_JOB_STATE",
  [grpc.status.RESOURCE_EXHAUSTED]: "ERROR_REASON_QUOTA_EXCEEDED",
  [grpc.status.ALREADY_EXISTS]: "ERROR_REASON_IDEMPOTENCY_KEY_REUSED",
};

/** When a retry of the same call helps, after how long (RetryInfo); absent: it does not. */
function defaultRetry(code: grpc.status, d: ErrorDetails): Duration | undefined {
  if (code === grpc.status.UNAVAILABLE) return { seconds: "1", nanos: 0 };
  if (code === grpc.status.ABORTED) return { seconds: "0", nanos: 100_000_000 };
  // Only a concurrent-jobs quota frees itself (a running job ends); the others need a change.
  if (code === grpc.status.RESOURCE_EXHAUSTED && d.quota?.quota === "concurrent_jobs")
    return { seconds: "30", nanos: 0 };
  return undefined;
}

export function statusName(code: grpc.status): string {
  return grpc.status[code] ?? "UNKNOWN";
}

/** An error that already knows its gRPC status. Throw it from handlers. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly details: Omit<ErrorDetails, "code" | "message"> = {},
  ) {
    super(message);
  }

  /** The adq.v1.ErrorDetails of this error: its reason (by default, the code's), message and code always set. */
  toDetails(): ErrorDetails {
    const retryAfter = this.details.retryAfter ?? defaultRetry(this.code, this.details);
    return {
      reason: DEFAULT_REASON[this.code] ?? "ERROR_REASON_INTERNAL",
      ...this.details,
      ...(retryAfter ? { retryAfter } : {}),
      message: this.message,
      code: statusName(this.code),
    };
  }
}

export function invalidArgument(
  field: string,
  description: string,
  reason: ErrorReasonName = "ERROR_REASON_INVALID_ARGUMENT",
): RpcError {
  const fieldViolations: FieldViolation[] = [{ field, description }];
  return new RpcError(grpc.status.INVALID_ARGUMENT, `${field}: ${description}`, { reason, fieldViolations });
}

/** The caller may not name this (a data set outside its grants): the field and why. */
export function permissionDenied(field: string, description: string): RpcError {
  return new RpcError(grpc.status.PERMISSION_DENIED, `${field}: ${description}`, {
    fieldViolations: [{ field, description }],
  });
}

export function notFound(message: string): RpcError {
  return new RpcError(grpc.status.NOT_FOUND, message);
}

export function failedPrecondition(message: string, reason: ErrorReasonName): RpcError {
  return new RpcError(grpc.status.FAILED_PRECONDITION, message, { reason });
}

export function unauthenticated(message: string): RpcError {
  return new RpcError(grpc.status.UNAUTHENTICATED, message);
}

export function unimplemented(message: string): RpcError {
  return new RpcError(grpc.status.UNIMPLEMENTED, message);
}

export function quotaExceeded(quota: string, limit: number, requested: number): RpcError {
  const q: QuotaViolation = { quota, limit, requested };
  return new RpcError(
    grpc.status.RESOURCE_EXHAUSTED,
    `quota ${quota} exceeded: limit ${limit}, this request would bring it to ${requested}`,
    { reason: "ERROR_REASON_QUOTA_EXCEEDED", quota: q },
  );
}

/**
 * A backing service (NATS JetStream: KV, Object Store, streams) unreachable for now — a
 * restart or a network blip, not a property of the request: callers should retry.
 */
export function isBackendUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const status = (e as { status?: unknown }).status;
  if (e.name === "JetStreamApiError") return status === 503 || status === 408;
  return (
    [
      "TimeoutError",
      "NoRespondersError",
      "RequestError",
      "ConnectionError",
      "ClosedConnectionError",
    ].includes(e.name) ||
    /\b(timeout|timed out|no responders|disconnect(ed)?|connection (closed|lost|refused))\b/i.test(e.message)
  );
}

const GRPC_STATUS: Record<ErrorStatus, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  ABORTED: grpc.status.ABORTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
};

/** Internal field names that are the same request field in every RPC. */
const COMMON_FIELDS: Record<string, string> = { dataset: "dataset.uri" };

/**
 * The status a typed error's ErrorInfo (packages/core/src/errors.ts) maps to, whether it was
 * thrown in this process or carried across the bus in a failed task's outcome: its code, its
 * message (with the field as a proto path, via `fieldPath`), its reason, a field violation,
 * a bad file.
 */
export function fromErrorInfo(info: ErrorInfo, fieldPath: (field: string) => string = (f) => f): RpcError {
  const code = GRPC_STATUS[info.status];
  const reason = (
    info.reason
      ? `ERROR_REASON_${info.reason}`
      : info.status === "INVALID_ARGUMENT"
        ? "ERROR_REASON_INVALID_ARGUMENT"
        : undefined
  ) as ErrorReasonName | undefined;
  const details: Omit<ErrorDetails, "code" | "message"> = reason ? { reason } : {};
  if (info.reason === "BAD_FILES" && info.path) {
    details.badFiles = [{ path: info.path, index: 0, reason: info.detail ?? info.message }];
    details.badFilesTotal = 1;
  }
  if (info.field !== undefined) {
    const field = COMMON_FIELDS[info.field] ?? fieldPath(info.field);
    const description = info.description ?? info.message;
    return new RpcError(code, `${field}: ${description}`, {
      ...details,
      fieldViolations: [{ field, description }],
    });
  }
  // A compare-and-set lost its race: the caller's retry succeeds.
  if (info.status === "ABORTED")
    return new RpcError(code, `concurrent update, retry: ${info.message}`, details);
  return new RpcError(code, info.message, details);
}

/**
 * Converts any error into an RpcError: a typed error by its ErrorInfo (fromErrorInfo);
 * `fieldPath` translates internal field names (e.g. "drop") into proto paths
 * (e.g. "params.drop_ratio").
 */
export function toRpcError(
  e: unknown,
  log: Logger,
  fieldPath: (field: string) => string = (f) => f,
): RpcError {
  if (e instanceof RpcError) return e;
  const info = errorInfo(e);
  if (info) return fromErrorInfo(info, fieldPath);
  const err = e instanceof Error ? e : new Error(String(e));
  if (isBackendUnavailable(err)) {
    log.warn("backend_unavailable", { error: err.message });
    return new RpcError(
      grpc.status.UNAVAILABLE,
      `the job store or message bus is unreachable for now (${err.message}); retry`,
    );
  }
  const correlationId = randomBytes(6).toString("hex");
  log.error("internal_error", { correlation_id: correlationId, error: err });
  return new RpcError(grpc.status.INTERNAL, `internal error (correlation id ${correlationId})`, {
    reason: "ERROR_REASON_INTERNAL",
  });
}

/** The object grpc-js sends as a failed status, rich status trailer included. */
export function toServiceError(e: RpcError): grpc.ServerErrorResponse {
  const metadata = new grpc.Metadata();
  try {
    metadata.set(STATUS_DETAILS_TRAILER, encodeStatus(e.code, e.toDetails()));
  } catch {
    // The status code and message still go out; the details are a bonus.
  }
  return Object.assign(new Error(e.message), { code: e.code, details: e.message, metadata });
}
