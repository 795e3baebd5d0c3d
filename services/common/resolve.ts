/**
 * Resolving what a CreateJob request names on the server: a dataset `file://` URI under
 * the configured data roots, and the feature model (server default, `builtin://name`, or a
 * `file://` URI under the model roots), with its digest.
 *
 * Paths are confined twice: the URI's path must lie under a root as written (so nothing
 * is revealed about paths outside the roots, not even whether they exist) and again after
 * following symlinks (so a link inside a root cannot lead out of it). Both failures are
 * INVALID_ARGUMENT naming `dataset.uri` (proto/README.md), reason DATASET_NOT_FOUND.
 */
import { realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { errorInfo } from "@adq/core";
import { type DatasetDescription, type DatasetFormat, openDataset, type S3Credentials } from "@adq/ml";
import { type ModelRole, type ModelSpec, sha256File } from "@adq/stages";
import { failedPrecondition, invalidArgument, permissionDenied, unimplemented } from "./errors.ts";
import type {
  DatasetFormat__Output as DatasetFormatName,
  ErrorReason__Output as ErrorReasonName,
  ModelRef,
} from "./generated/index.ts";
import type { DataGrants } from "./grants.ts";

export function isUnder(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** Resolves configured roots once (they must exist). */
export async function resolveRoots(roots: string[], what: string): Promise<string[]> {
  const out: string[] = [];
  for (const r of roots) {
    try {
      out.push(await realpath(resolve(r)));
    } catch {
      throw new Error(`${what} ${r} does not exist`);
    }
  }
  return out;
}

function pathFromFileUri(uri: string, field: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalidArgument(field, `not a valid URI: ${JSON.stringify(uri)}`);
  }
  if (url.host !== "" && url.host !== "localhost")
    throw invalidArgument(field, `file URIs must name a local path (file:///abs/path), got host ${url.host}`);
  try {
    return fileURLToPath(url);
  } catch (e) {
    throw invalidArgument(field, `not a valid file URI: ${(e as Error).message}`);
  }
}

/** Checks a file:// URI against roots; returns the real path. */
async function confine(uri: string, field: string, roots: string[], what: "data" | "model"): Promise<string> {
  const path = resolve(pathFromFileUri(uri, field));
  const reason = what === "data" ? "ERROR_REASON_DATASET_NOT_FOUND" : "ERROR_REASON_INVALID_ARGUMENT";
  const outside = () => invalidArgument(field, `${path} is not under a configured ${what} root`, reason);
  if (!roots.some((r) => isUnder(path, r))) throw outside();
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw invalidArgument(field, `${path} does not exist`, reason);
  }
  if (!roots.some((r) => isUnder(real, r))) throw outside();
  return real;
}

const FORMATS: Record<string, DatasetFormat | undefined> = {
  DATASET_FORMAT_UNSPECIFIED: undefined,
  DATASET_FORMAT_IMAGE_FOLDER: "imagefolder",
  DATASET_FORMAT_CIFAR10_BINARY: "cifar10-binary",
  DATASET_FORMAT_WEBDATASET: "webdataset",
};

export function formatName(f: DatasetFormat): DatasetFormatName {
  return f === "imagefolder"
    ? "DATASET_FORMAT_IMAGE_FOLDER"
    : f === "webdataset"
      ? "DATASET_FORMAT_WEBDATASET"
      : "DATASET_FORMAT_CIFAR10_BINARY";
}

export interface ResolvedDataset {
  path: string;
  description: DatasetDescription;
}

/**
 * Resolves and indexes the dataset (metadata only: no image is decoded). Layout problems
 * are INVALID_ARGUMENT naming dataset.uri.
 */
export async function resolveDataset(
  uri: string,
  format: DatasetFormatName | undefined,
  roots: string[],
): Promise<ResolvedDataset> {
  const field = "dataset.uri";
  if (!uri) throw invalidArgument(field, "required: file:///path/under/a/data/root");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === "s3")
    throw permissionDenied(
      field,
      `s3:// data sets are served only under a tenant's data grant (the API-key file's "data"; SECURITY.md, "Data grants")`,
    );
  if (scheme === "artifact")
    throw unimplemented(
      `${field}: this server has no upload root configured, so artifact:// datasets are not served; use a file:// URI under a data root`,
    );
  if (scheme !== "file")
    throw invalidArgument(field, `unsupported scheme in ${JSON.stringify(uri)}: use file://`);
  const path = await confine(uri, field, roots, "data");
  return describeDataset(path, format);
}

/**
 * Resolves a data set under the tenant's grants (grants.ts): PERMISSION_DENIED before any
 * byte is read when it is not granted, then indexed with the grant's credentials.
 */
export async function resolveGrantedDataset(
  uri: string,
  format: DatasetFormatName | undefined,
  grants: DataGrants,
  tenant: string,
): Promise<ResolvedDataset & { credentials?: S3Credentials }> {
  const field = "dataset.uri";
  if (!uri) throw invalidArgument(field, "required: a file:// or s3:// URI under one of your data grants");
  if (!/^(file|s3):/i.test(uri))
    throw invalidArgument(field, `unsupported scheme in ${JSON.stringify(uri)}: use file:// or s3://`);
  const granted = await grants.authorize(tenant, uri, field);
  const ds = await describeDataset(granted.path, format, granted.credentials);
  return { ...ds, ...(granted.credentials ? { credentials: granted.credentials } : {}) };
}

/** Indexes a resolved data set (metadata only). Layout problems are INVALID_ARGUMENT naming dataset.uri. */
async function describeDataset(
  path: string,
  format: DatasetFormatName | undefined,
  s3Credentials?: S3Credentials,
): Promise<ResolvedDataset> {
  const field = "dataset.uri";
  if (!(format === undefined || format in FORMATS))
    throw invalidArgument("dataset.format", `unknown format ${JSON.stringify(format)}`);
  const want = FORMATS[format ?? "DATASET_FORMAT_UNSPECIFIED"];
  let description: DatasetDescription;
  try {
    const reader = await openDataset(path, s3Credentials ? { s3Credentials } : {});
    description = await reader.describe();
  } catch (e) {
    // The dataset's own reason (DatasetError's ErrorInfo), under this request's field.
    const info = errorInfo(e);
    if (info?.field === "dataset" && info.status === "PERMISSION_DENIED")
      throw permissionDenied(field, info.message);
    if (info?.field === "dataset")
      throw invalidArgument(field, info.message, `ERROR_REASON_${info.reason}` as ErrorReasonName);
    throw e;
  }
  if (want && description.format !== want)
    throw invalidArgument("dataset.format", `${path} is ${formatName(description.format)}, not ${format}`);
  return { path, description };
}

export interface ModelConfig {
  /**
   * The default feature model file, or null for none: the default-model rule's "cifar" role
   * (the CIFAR-10 ResNet-20 in `adq serve`), and every role that has no file of its own below.
   */
  defaultModel: string | null;
  /**
   * The default of a method that needs a held-out model (METHOD_CCS and METHOD_ADQ rank items by held-out
   * difficulty: a model that never trained on the candidates; the method table says why).
   * Unset: generalModel, else defaultModel.
   */
  heldOutModel?: string | null;
  /**
   * The rule's "general" role: the default for data sets that are not CIFAR-like (the general
   * backbone, as `adq compress` picks it; @adq/stages defaultModelRole). Unset: defaultModel,
   * as when an operator names one `--model` for every job.
   */
  generalModel?: string | null;
  /** `builtin://{name}` → file. */
  builtin: Record<string, string>;
  /** Roots (real paths) under which file:// models are allowed. */
  roots: string[];
  /** The MAE for `outputs.reconstruct`: the default file and `builtin://{name}` → file. */
  mae?: { default: string | null; builtin: Record<string, string> };
}

/** The MAE for a job's reconstruction (params.mae_model, else the server's default). */
export function maeModel(
  ref: ModelRef | null | undefined,
  cfg: ModelConfig,
): Promise<{ uri: string; spec: ModelSpec } | null> {
  const mae = cfg.mae ?? { default: null, builtin: {} };
  return resolveModel(
    ref,
    true,
    { defaultModel: mae.default, builtin: mae.builtin, roots: cfg.roots },
    "params.mae_model",
  );
}

const digestCache = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

async function digestOf(file: string): Promise<string> {
  const st = await stat(file);
  const hit = digestCache.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const sha256 = await sha256File(file);
  digestCache.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

/**
 * The feature model for a job, or null when the job needs none (the job plan's `model`, as
 * `adq compress` decides). `pick`: the default-model rule's answer for the job (its role, and
 * whether the method needs a held-out model); without it the default is `cfg.defaultModel`.
 */
export async function resolveModel(
  ref: ModelRef | null | undefined,
  needed: boolean,
  cfg: ModelConfig,
  /** Proto path of the ModelRef in the request, for errors. */
  refField = "params.model",
  pick?: { role: ModelRole; heldOut: boolean },
): Promise<{ uri: string; spec: ModelSpec } | null> {
  if (!needed) return null;
  const field = `${refField}.uri`;
  const uri = ref?.uri ?? "";
  let file: string;
  if (uri === "") {
    const general = pick?.role === "general" ? cfg.generalModel : undefined;
    const fallback = (pick?.heldOut && (cfg.heldOutModel ?? cfg.generalModel)) || general || cfg.defaultModel;
    if (!fallback)
      throw failedPrecondition(
        `${field}: no default feature model is configured; name one`,
        "ERROR_REASON_MODEL_CONTRACT",
      );
    file = fallback;
  } else if (uri.startsWith("builtin://")) {
    const name = uri.slice("builtin://".length);
    const f = cfg.builtin[name];
    if (!f)
      throw invalidArgument(
        field,
        `unknown builtin model ${JSON.stringify(name)} (known: ${Object.keys(cfg.builtin).join(", ") || "none"})`,
      );
    file = f;
  } else if (uri.startsWith("file:")) {
    file = await confine(uri, field, cfg.roots, "model");
  } else if (uri.startsWith("artifact://")) {
    throw unimplemented(`${field}: artifact:// models are not supported yet`);
  } else {
    throw invalidArgument(field, `unsupported model URI ${JSON.stringify(uri)}: use builtin:// or file://`);
  }
  try {
    if (!(await stat(file)).isFile()) throw new Error("not a file");
  } catch {
    throw invalidArgument(field, `model file ${file} does not exist`);
  }
  const sha256 = await digestOf(file);
  const pin = ref?.sha256 ?? "";
  if (pin !== "") {
    if (!/^[0-9a-f]{64}$/.test(pin))
      throw invalidArgument(`${refField}.sha256`, "must be 64 lowercase hex characters");
    if (pin !== sha256)
      throw failedPrecondition(
        `${refField}.sha256: the model ${uri || "(default)"} has digest ${sha256}, not the pinned ${pin}`,
        "ERROR_REASON_MODEL_DIGEST_MISMATCH",
      );
  }
  return { uri: uri === "" ? "" : uri, spec: { file, sha256 } };
}
