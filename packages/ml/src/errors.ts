import type { ErrorInfo, TypedError } from "@adq/core";

/**
 * Errors raised by the dataset layer. Each carries a machine-readable `code` so that services
 * can map it to a precise gRPC status in one place, and a message naming the offending path.
 */

export type DatasetErrorCode =
  /** The path does not exist. */
  | "NOT_FOUND"
  /** The path exists but is a file, where a dataset directory was expected. */
  | "NOT_A_DIRECTORY"
  /** The directory holds no recognisable dataset at all. */
  | "EMPTY_DATASET"
  /** Images sit directly in the root: an ImageFolder needs root/<class>/<image>. */
  | "NO_CLASS_FOLDERS"
  /** A class folder holds no image file. */
  | "EMPTY_CLASS"
  /** A CIFAR-10 batch file is malformed (size, label byte). */
  | "CORRUPT_DATASET"
  /** The caller asked for something the dataset does not have (e.g. a split). */
  | "INVALID_ARGUMENT"
  /** A folder or file resolves outside the dataset folder (a symbolic link), or is not a regular file. */
  | "OUTSIDE_ROOT"
  /** The object store refused the credentials in use (HTTP 403). */
  | "ACCESS_DENIED"
  /** A remote object changed between listing and reading (its ETag no longer matches). */
  | "CHANGED";

export class DatasetError extends Error implements TypedError {
  override readonly name = "DatasetError";
  constructor(
    readonly code: DatasetErrorCode,
    /** The file or directory the error is about. */
    readonly path: string,
    message: string,
  ) {
    super(message);
  }

  /** Bad input naming the dataset; a missing or empty one has its own reason. */
  get info(): ErrorInfo {
    const reason =
      this.code === "NOT_FOUND"
        ? "DATASET_NOT_FOUND"
        : this.code === "EMPTY_DATASET" || this.code === "EMPTY_CLASS"
          ? "DATASET_EMPTY"
          : "INVALID_ARGUMENT";
    const m = this.message;
    return {
      status:
        this.code === "ACCESS_DENIED"
          ? "PERMISSION_DENIED"
          : this.code === "CHANGED"
            ? "FAILED_PRECONDITION"
            : "INVALID_ARGUMENT",
      message: m,
      field: "dataset",
      description: m,
      reason,
      path: this.path,
    };
  }
}
