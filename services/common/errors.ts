/**
 * The one place where errors become gRPC statuses (proto/README.md, "Errors"):
 * a precise code, a message a human can act on, and — when there is more to say — the
 * serialized `adq.v1.ErrorDetails` in the `adq-error-details-bin` trailer.
 * Unexpected errors become INTERNAL with a correlation id; the stack goes to the log only.
 */
import { randomBytes } from "node:crypto";
import { ConflictError, InvalidArgumentError, NotFoundError } from "@adq/platform";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "./log.ts";
import { encodeErrorDetails } from "./proto.ts";
import type { ErrorDetails, ErrorReasonName, FieldViolation, QuotaViolation } from "./types.ts";

export const ERROR_DETAILS_TRAILER = "adq-error-details-bin";

export function statusName(code: grpc.status): string {
  return grpc.status[code] ?? "UNKNOWN";
}

/** An error that already knows its gRPC status. Throw it from handlers. */
export class RpcError extends Error {
  override readonly name = "RpcError";
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly details: Omit<Partial<ErrorDetails>, "code" | "message"> = {},
  ) {
    super(message);
  }

  toDetails(): ErrorDetails {
    return {
      reason: "ERROR_REASON_UNSPECIFIED",
      ...this.details,
      message: this.message,
      code: statusName(this.code),
    } as ErrorDetails;
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

/**
 * Converts any error into an RpcError. `fieldPath` translates the internal field names of
 * InvalidArgumentError (e.g. "drop") into proto paths (e.g. "params.drop_ratio").
 */
export function toRpcError(
  e: unknown,
  log: Logger,
  fieldPath: (field: string) => string = (f) => f,
): RpcError {
  if (e instanceof RpcError) return e;
  if (e instanceof InvalidArgumentError) {
    const prefix = `${e.field}: `;
    const description = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    return invalidArgument(fieldPath(e.field), description);
  }
  if (e instanceof NotFoundError) return notFound(e.message);
  if (e instanceof ConflictError)
    return new RpcError(grpc.status.ABORTED, `concurrent update, retry: ${e.message}`);
  const err = e instanceof Error ? e : new Error(String(e));
  if (err.name === "DatasetError") return invalidArgument("dataset.uri", err.message);
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

/** The object grpc-js sends as a failed status, trailer included. */
export function toServiceError(e: RpcError): grpc.ServerErrorResponse {
  const metadata = new grpc.Metadata();
  try {
    metadata.set(ERROR_DETAILS_TRAILER, encodeErrorDetails(e.toDetails()));
  } catch {
    // The status code and message still go out; the details are a bonus.
  }
  return Object.assign(new Error(e.message), { code: e.code, details: e.message, metadata });
}
