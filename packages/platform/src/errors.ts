/**
 * Errors that cross the port boundary. Adapters translate their transport's failures into
 * these so that services can map them to precise gRPC status codes in one place.
 */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

/** A compare-and-set update lost the race: the caller re-reads and retries. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

/** A caller-supplied value is invalid; `field` names it (maps to INVALID_ARGUMENT). */
export class InvalidArgumentError extends Error {
  override readonly name = "InvalidArgumentError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
