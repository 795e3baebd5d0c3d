/**
 * The pinned Kubernetes tools (scripts/k8s-tools.sh builds them into a cache directory keyed
 * by their versions). A missing tool FAILS the k8s tests with the command that builds it;
 * they are skipped only when `ADQ_K8S_TESTS=0` is set explicitly.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CHART_DIR = join(REPO_ROOT, "charts", "adq");

/** True when the k8s tests were switched off explicitly (`ADQ_K8S_TESTS=0`). */
export const K8S_TESTS_OFF = process.env.ADQ_K8S_TESTS === "0";

export interface K8sTools {
  dir: string;
  bin(name: ToolName): string;
  /** kwok's stage files (node-initialize, node-heartbeat-with-lease, pod-ready/complete/delete). */
  kwokStages: string[];
  /** KEDA's CRD manifests. */
  kedaCrdsDir: string;
}

export type ToolName =
  | "kube-apiserver"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "etcd"
  | "helm"
  | "kwok"
  | "keda-operator"
  | "keda-adapter";

const STAGES = [
  "node-initialize.yaml",
  "node-heartbeat-with-lease.yaml",
  "pod-ready.yaml",
  "pod-complete.yaml",
  "pod-delete.yaml",
];

/**
 * Locates the tools; throws (naming what is missing and how to build it) unless `need` are
 * all there.
 */
export function k8sTools(need: ToolName[]): K8sTools {
  const script = join(REPO_ROOT, "scripts", "k8s-tools.sh");
  const dir = execFileSync("bash", [script, "--print"], { encoding: "utf8" }).trim();
  const bin = (name: ToolName) => join(dir, "bin", name);
  const missing = need.filter((n) => !existsSync(bin(n)));
  if (missing.length > 0)
    throw new Error(
      `k8s tools missing in ${dir}: ${missing.join(", ")}. Build them with \`bash scripts/k8s-tools.sh\` ` +
        "(scripts/setup.sh does; ~15 min once), or set ADQ_K8S_TESTS=0 to skip the Kubernetes tests.",
    );
  return {
    dir,
    bin,
    kwokStages: STAGES.map((s) => join(dir, "kwok-stages", s)),
    kedaCrdsDir: join(dir, "keda-crds"),
  };
}
