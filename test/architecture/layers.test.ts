// The lint step's package-boundary check (scripts/check-layers.mjs), run as `npm run lint` runs
// it: on a small tree written here with one deliberate violation of each rule (it must fail,
// naming file, line, import and rule), and on this repository (it must pass).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { describe, expect, it } from "vitest";

const SCRIPT = join(REPO_ROOT, "scripts", "check-layers.mjs");

function check(root: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(root: string, files: Record<string, string | object>): void {
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof body === "string" ? body : JSON.stringify(body, null, 2));
  }
}

const pkg = (name: string, exports: Record<string, string>, dependencies: Record<string, string> = {}) => ({
  name,
  type: "module",
  exports,
  dependencies,
});

/** Four packages whose imports all keep the rules. */
const CLEAN = {
  "package.json": {
    workspaces: ["packages/core", "packages/ml", "services/gateway", "services/cluster"],
    devDependencies: { vitest: "*" },
  },
  "packages/core/package.json": pkg("@adq/core", { ".": "./src/index.ts", "./testing": "./src/testing.ts" }),
  "packages/core/src/index.ts": 'export { one } from "./one.ts";\n',
  "packages/core/src/one.ts": "export const one = 1;\n",
  "packages/core/src/testing.ts": "export const internal = 0;\n",
  "packages/ml/package.json": pkg("@adq/ml", { ".": "./src/index.ts" }, { "@adq/core": "*", sharp: "*" }),
  "packages/ml/src/index.ts":
    'import { readFile } from "node:fs/promises";\nimport sharp from "sharp";\nimport { one } from "@adq/core";\nexport const two = one + 1;\nexport { readFile, sharp };\n',
  "packages/ml/src/index.test.ts":
    'import { it } from "vitest";\nimport { helper } from "../../../test/support/helper.ts";\nit("runs", helper);\n',
  "services/gateway/package.json": pkg("@adq/gateway", { ".": "./index.ts" }, { "@adq/ml": "*" }),
  "services/gateway/index.ts": 'export { resolveRoots } from "./resolve.ts";\n',
  "services/gateway/resolve.ts": "export const resolveRoots = () => [];\n",
  "services/cluster/package.json": pkg("@adq/cluster", { ".": "./index.ts" }, { "@adq/gateway": "*" }),
  "services/cluster/index.ts":
    'import { resolveRoots } from "@adq/gateway";\nexport const roots = resolveRoots();\n',
  "test/support/helper.ts": "export function helper() {}\n",
  // The suites and benchmarks use the packages by name, `/testing` included.
  "test/suite.test.ts":
    'import { two } from "@adq/ml";\nimport { internal } from "@adq/core/testing";\nimport { it } from "vitest";\nimport { helper } from "./support/helper.ts";\nit("runs", () => helper(two, internal));\n',
  "bench/run.bench.ts":
    'import { roots } from "@adq/cluster";\nimport { helper } from "../test/support/helper.ts";\nhelper(roots);\n',
};

describe("scripts/check-layers.mjs", () => {
  it("passes a tree whose imports keep the rules", () => {
    const root = mkdtempSync(join(tmpdir(), "adq-layers-"));
    write(root, CLEAN);
    const r = check(root);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^check-layers: ok \(4 packages, 11 files, \d+ imports\)/);
  });

  it("fails on each rule, naming the file, the line, the import and the rule", () => {
    const root = mkdtempSync(join(tmpdir(), "adq-layers-"));
    write(root, {
      ...CLEAN,
      // core (the lowest layer) importing ml, on line 2
      "packages/core/src/up.ts":
        '// the deliberate violation\nimport { two } from "@adq/ml";\nexport { two };\n',
      // cluster reaching into gateway's files by a relative path
      "services/cluster/worker.ts": 'export { resolveRoots } from "../gateway/resolve.ts";\n',
      // a file behind gateway's exports, by name
      "services/cluster/deep.ts":
        'import { resolveRoots } from "@adq/gateway/resolve.ts";\nresolveRoots();\n',
      // a third-party package ml's package.json does not declare (vitest: test code only)
      "packages/ml/src/undeclared.ts": 'import "onnxruntime-node";\nimport { it } from "vitest";\nit;\n',
      // a non-test module leaving its package for test/
      "packages/ml/src/leaves.ts": 'export { helper } from "../../../test/support/helper.ts";\n',
      // production code importing what is for tests only
      "services/gateway/internal.ts": 'export { internal } from "@adq/core/testing";\n',
      // a suite reaching into a package's files by a relative path, and by name
      "test/deep.test.ts":
        'import { one } from "../packages/core/src/one.ts";\nimport { resolveRoots } from "@adq/gateway/resolve.ts";\nexport { one, resolveRoots };\n',
      // a benchmark leaving bench/ and test/, and a package nobody declares
      "bench/leaves.bench.ts": 'import "../scripts/tool.mjs";\nimport "left-pad";\n',
      "scripts/tool.mjs": "export {};\n",
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      'bench/leaves.bench.ts:1: import "../scripts/tool.mjs": relative: leaves bench/ for scripts/tool.mjs',
      'bench/leaves.bench.ts:2: import "left-pad": undeclared: left-pad is declared by neither the root package.json nor any workspace package',
      'packages/core/src/up.ts:2: import "@adq/ml": layering: @adq/core (layer core) must not import @adq/ml (layer ml); the layers, lowest first: core ← ml ← platform ← stages ← services (common ← gateway, controller ← cluster) ← apps',
      'packages/ml/src/leaves.ts:1: import "../../../test/support/helper.ts": relative: leaves @adq/ml (packages/ml) for test/support/helper.ts',
      'packages/ml/src/undeclared.ts:1: import "onnxruntime-node": undeclared: onnxruntime-node is not in the dependencies of packages/ml/package.json',
      'packages/ml/src/undeclared.ts:2: import "vitest": undeclared: vitest is not in the dependencies of packages/ml/package.json',
      'services/cluster/deep.ts:1: import "@adq/gateway/resolve.ts": exports: ./resolve.ts is not exported by @adq/gateway (its exports: .): a deep import of its internals',
      'services/cluster/worker.ts:1: import "../gateway/resolve.ts": relative: reaches into @adq/gateway (services/gateway); import it by name ("@adq/gateway"), from its exports',
      'services/gateway/internal.ts:1: import "@adq/core/testing": exports: @adq/core/testing is for tests only; production code uses @adq/core\'s public exports',
      'test/deep.test.ts:1: import "../packages/core/src/one.ts": relative: reaches into @adq/core (packages/core); import it by name ("@adq/core"), from its exports (a "/testing" export for what only tests need)',
      'test/deep.test.ts:2: import "@adq/gateway/resolve.ts": exports: ./resolve.ts is not exported by @adq/gateway (its exports: .): a deep import of its internals',
      expect.stringMatching(/^check-layers: 11 violation\(s\) \(4 packages, 19 files, \d+ imports\)$/),
    ]);
  });

  it("passes this repository", () => {
    const r = check(REPO_ROOT);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^check-layers: ok \(9 packages, \d+ files, \d+ imports\)/);
  });
});
