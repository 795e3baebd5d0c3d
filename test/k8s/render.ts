/** `helm template` of charts/adq into typed objects, with the real helm binary. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { helm } from "./cluster.ts";
import { CHART_DIR, type K8sTools } from "./tools.ts";

export const VALUES_DIR = join(dirname(fileURLToPath(import.meta.url)), "values");
/** The APIs a production cluster serves beside Kubernetes' own (KEDA, cert-manager, prometheus-operator). */
export const CLUSTER_APIS = [
  "keda.sh/v1alpha1/ScaledObject",
  "cert-manager.io/v1/Certificate",
  "monitoring.coreos.com/v1/ServiceMonitor",
  "monitoring.coreos.com/v1/PrometheusRule",
];
export const STAGES = ["features", "binning", "scoring", "sampling", "assemble"] as const;

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked field by field
export type Obj = any;

export interface Rendered {
  all: Obj[];
  of(kind: string): Obj[];
  get(kind: string, name: string): Obj;
}

export async function render(
  tools: K8sTools,
  valuesFiles: string[] = [],
  set: string[] = [],
  release = "t",
  apiVersions: string[] = CLUSTER_APIS,
): Promise<Rendered> {
  const args = ["template", release, CHART_DIR, "--namespace", "adq"];
  for (const a of apiVersions) args.push("--api-versions", a);
  for (const f of valuesFiles) args.push("-f", join(VALUES_DIR, f));
  for (const s of set) args.push("--set", s);
  const { stdout } = await helm(tools, args);
  // Plain objects (not client-node's typed models, which rename fields such as `from`).
  const all = yaml.loadAll(stdout).filter((o) => o) as Obj[];
  const of = (kind: string) => all.filter((o: Obj) => o.kind === kind);
  return {
    all,
    of,
    get(kind, name) {
      const o = all.find((x: Obj) => x.kind === kind && x.metadata?.name === name);
      if (!o)
        throw new Error(
          `no ${kind} ${name} rendered (have: ${of(kind)
            .map((x: Obj) => x.metadata.name)
            .join(", ")})`,
        );
      return o;
    },
  };
}

/** The container of a rendered Deployment. */
export function container(dep: Obj): Obj {
  return dep.spec.template.spec.containers[0];
}

/** Value following `flag` in a container's args, or undefined. */
export function argValue(dep: Obj, flag: string): string | undefined {
  const args: string[] = container(dep).args;
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * A container's args as run on this machine: each `$(VAR)` from `vars`, then `local` (a mounted
 * path to its local folder), then every flag of `set` given its local value (free ports, loopback).
 */
export function localArgs(
  args: readonly string[],
  vars: Readonly<Record<string, string | undefined>>,
  set: Readonly<Record<string, string>>,
  local: (arg: string) => string = (a) => a,
): string[] {
  const out = args.map((a) => local(a.replace(/^\$\((\w+)\)$/, (_, v: string) => vars[v] ?? a)));
  for (const [flag, value] of Object.entries(set)) {
    const i = out.indexOf(flag);
    if (i >= 0) out[i + 1] = value;
  }
  return out;
}
