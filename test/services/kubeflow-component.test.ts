// deploy/kubeflow/adq-compress.component.yaml, run as Kubeflow Pipelines would run it (the
// command with its placeholders filled in, `sh -ec`), against a real `adq serve`; the image's
// CLI is replaced by the repository's (ADQ_CLI), everything else is the component's own text.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { demoSlice, tmp, useServe } from "../support/index.ts";

const KEY = "kfp-test-key";
type Placeholder = string | { inputValue: string } | { outputPath: string };
interface Component {
  inputs: Array<{ name: string; default?: string }>;
  outputs: Array<{ name: string }>;
  implementation: { container: { image: string; command: Placeholder[] } };
}

describe("Kubeflow Pipelines component", () => {
  const serve = useServe(() => ({ data: demoSlice(2, 8), env: { ADQ_API_KEY: KEY } }));

  it("compresses on the gateway and leaves the result directory and the job id as outputs", () => {
    const spec = yaml.load(
      readFileSync(join(REPO_ROOT, "deploy", "kubeflow", "adq-compress.component.yaml"), "utf8"),
    ) as Component;
    const values: Record<string, string> = Object.fromEntries(
      spec.inputs.filter((i) => i.default !== undefined).map((i) => [i.name, i.default!]),
    );
    Object.assign(values, {
      dataset: serve.data,
      server: serve.address,
      ratio: "0.25",
      method: "random",
      reconstruct: "True",
    });
    const outDir = tmp("adq-kfp-out-");
    const paths = Object.fromEntries(spec.outputs.map((o) => [o.name, join(outDir, o.name, "data")]));
    const argv = spec.implementation.container.command.map((p) =>
      typeof p === "string" ? p : "inputValue" in p ? values[p.inputValue]! : paths[p.outputPath]!,
    );
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: "utf8",
      timeout: 50_000,
      env: {
        ...process.env,
        ADQ_API_KEY: KEY,
        ADQ_CLI: `${process.execPath} ${join(REPO_ROOT, "bin", "adq.mjs")}`,
      },
    });
    expect(r.status, r.stderr).toBe(0);
    const job = readFileSync(paths.job_id!, "utf8");
    expect(job).toMatch(/^job-[0-9a-f]{20}$/);
    expect(readdirSync(paths.result!).sort()).toEqual([
      "bins.json",
      "manifest.json",
      "reconstructed.tar",
      "report.html",
      "store.adqp",
    ]);
    const m = JSON.parse(readFileSync(join(paths.result!, "manifest.json"), "utf8"));
    expect(m.selected).toBe(4);
    expect(m.params).toMatchObject({ ratio: 0.25, method: "random" });
    expect(existsSync(join(outDir, "result"))).toBe(true);
  }, 60_000);
});
