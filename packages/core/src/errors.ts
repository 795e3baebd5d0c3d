/**
 * The error vocabulary of every layer: a typed error describes itself as an ErrorInfo — a
 * status (a gRPC canonical code name), the field or file at fault, and a reason — so that
 * the layers above decide on its kind without reading its message. ErrorInfo is plain data:
 * a failed stage task carries it in its outcome across any bus (TaskOutcome.errorInfo), and
 * the services map it to a gRPC status in one place (services/common/errors.ts).
 */

export const ERROR_STATUSES = [
  "INVALID_ARGUMENT",
  "NOT_FOUND",
  "PERMISSION_DENIED",
  "FAILED_PRECONDITION",
  "RESOURCE_EXHAUSTED",
  "ABORTED",
  "UNAVAILABLE",
  "INTERNAL",
] as const;
export type ErrorStatus = (typeof ERROR_STATUSES)[number];

export interface ErrorInfo {
  status: ErrorStatus;
  message: string;
  /** The parameter or request field at fault, by its internal name (services map it to a proto path). */
  field?: string;
  /** What is wrong with the field, without its name (a field violation's description). */
  description?: string;
  /** adq.v1.ErrorReason without its ERROR_REASON_ prefix: "BAD_FILES", "MODEL_CONTRACT", "DATASET_EMPTY", … */
  reason?: string;
  /** The file at fault (a bad image, a model), and what is wrong with it. */
  path?: string;
  detail?: string;
}

/** An Error that describes itself. */
export interface TypedError extends Error {
  readonly info: ErrorInfo;
}

/** The ErrorInfo of a typed error (a copy: plain data), else undefined. */
export function errorInfo(e: unknown): ErrorInfo | undefined {
  const info = (e as { info?: Partial<ErrorInfo> } | null)?.info;
  if (!info || typeof info !== "object") return undefined;
  if (!ERROR_STATUSES.includes(info.status as ErrorStatus) || typeof info.message !== "string")
    return undefined;
  const out: ErrorInfo = { status: info.status!, message: info.message };
  for (const k of ["field", "description", "reason", "path", "detail"] as const)
    if (typeof info[k] === "string") out[k] = info[k];
  return out;
}
