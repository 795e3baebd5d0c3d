/**
 * The `CompressionJob` custom resource (adq.dev/v1alpha1): a compression asked for with a
 * manifest, its progress and result read from `.status`. The OpenAPI schema that validates it
 * at the API server is charts/adq/files/crds/compressionjobs.adq.dev.yaml; these are its TypeScript
 * shapes as the controller reads and writes them.
 */
import type { CompressParams, FlagKey, Method } from "@adq/stages";
import type { KubernetesObject } from "@kubernetes/client-node";

export const GROUP = "adq.dev";
export const VERSION = "v1alpha1";
export const PLURAL = "compressionjobs";
export const KIND = "CompressionJob";
/** Set on every object the controller has seen; removed once its gateway job is cancelled. */
export const FINALIZER = "adq.dev/cancel-job";
/** The controller's name in Events, field managers and the Lease. */
export const CONTROLLER_NAME = "adq-controller";
/**
 * Which controller owns an object: the controller started with `--instance x` reconciles only
 * objects labelled `adq.dev/controller: x`; one without `--instance` only unlabelled ones. So
 * two installations in one cluster never both act on an object.
 */
export const INSTANCE_LABEL = "adq.dev/controller";

/** The label selector of the objects an instance owns (empty instance: the unlabelled ones). */
export function instanceSelector(instance: string | undefined): string {
  return instance ? `${INSTANCE_LABEL}=${instance}` : `!${INSTANCE_LABEL}`;
}

export type { Method };

export interface CompressionJobSpec {
  /** `file:///…` under the gateway's data roots, or `artifact://uploads/<id>` (an upload). */
  dataset: { uri: string; format?: "imagefolder" | "cifar10-binary" | "webdataset" };
  /**
   * The parameters a user sets, by the table's names (packages/stages/src/params.ts; the CRD's
   * schema is generated from it): ratio required, the others default.
   */
  params: Pick<CompressParams, "ratio"> & Partial<Pick<CompressParams, FlagKey>>;
  /** The tenant's API key: a Secret in the object's own namespace (the namespace → tenant map). */
  apiKeySecretRef: { name: string; key?: string; namespace?: string };
  /** Where the result goes: a folder under the controller's results root, per namespace. */
  /** `path`: a copy under the controller's results root; `uri`: the server publishes to s3:// (outputs.uri). */
  output?: { path?: string; uri?: string };
  displayName?: string;
}

export type Phase = "Pending" | "Queued" | "Running" | "Succeeded" | "Failed" | "Cancelled";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface CompressionJobStatus {
  phase?: Phase;
  jobId?: string;
  /** The generation the job was created from; a later spec is refused, not applied. */
  jobGeneration?: number;
  observedGeneration?: number;
  stage?: string;
  done?: number;
  total?: number;
  progress?: string;
  conditions?: Condition[];
  startTime?: string;
  completionTime?: string;
  result?: {
    jobId: string;
    selected: number;
    total: number;
    files: Array<{ name: string; sizeBytes: number; sha256: string }>;
    /** Set when spec.output.path asked for a copy: the folder it was written to. */
    path?: string;
  };
  message?: string;
}

export interface CompressionJob extends KubernetesObject {
  spec: CompressionJobSpec;
  status?: CompressionJobStatus;
}

export const TERMINAL: ReadonlySet<Phase> = new Set(["Succeeded", "Failed", "Cancelled"]);
