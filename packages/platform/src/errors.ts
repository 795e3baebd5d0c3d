import type { ErrorInfo, TypedError } from "@adq/core";

/**
 * Errors that cross the port boundary. Adapters translate their transport's failures into
 * these so that services can map them to precise gRPC status codes in one place.
 */
export class NotFoundError extends Error implements TypedError {
  override readonly name = "NotFoundError";

  get info(): ErrorInfo {
    return { status: "NOT_FOUND", message: this.message };
  }
}

/** A compare-and-set update lost the race: the caller re-reads and retries. */
export class ConflictError extends Error implements TypedError {
  override readonly name = "ConflictError";

  get info(): ErrorInfo {
    return { status: "ABORTED", message: this.message };
  }
}

/**
 * A caller-supplied value is invalid; `field` names it, `description` says what is wrong
 * (message: `${field}: ${description}`), `reason` an adq.v1.ErrorReason without its prefix
 * where there is a more precise one than INVALID_ARGUMENT.
 */
export class InvalidArgumentError extends Error implements TypedError {
  override readonly name = "InvalidArgumentError";
  constructor(
    readonly field: string,
    readonly description: string,
    readonly reason?: string,
  ) {
    super(`${field}: ${description}`);
  }

  get info(): ErrorInfo {
    const { message, field, description } = this;
    return {
      status: "INVALID_ARGUMENT",
      message,
      field,
      description,
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ENOENT: "no such file or directory",
  ENOTDIR: "a path component is not a directory",
  EISDIR: "is a directory",
  EEXIST: "already exists",
  ENAMETOOLONG: "file name too long",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ELOOP: "too many levels of symbolic links",
};

/** The errno code of a Node file-system error, if it is one. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * A file-system failure on a path the code chose to touch, named with its cause — Node's own
 * messages omit the path for write errors ("ENOSPC: no space left on device, write").
 */
export class IoError extends Error {
  override readonly name = "IoError";
  constructor(
    readonly path: string,
    readonly code: string,
    action: string,
  ) {
    super(`cannot ${action} ${path}: ${ERRNO_TEXT[code] ?? "file-system error"} (${code})`);
  }
}

/** A file-system error as an IoError naming `path`; any other error unchanged. */
export function asIoError(e: unknown, path: string, action: string): Error {
  if (e instanceof IoError) return e;
  const code = errnoOf(e);
  return code ? new IoError(path, code, action) : (e as Error);
}
