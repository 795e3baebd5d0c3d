#!/usr/bin/env node
// `npm run lint` (after biome): the package boundaries, checked on every import in the npm
// workspaces (packages/, services/, apps/) and in the code outside them that uses them: the
// suites under test/ and the benchmarks under bench/. Plain Node; the imports are read with TypeScript's
// own pre-processor (typescript is already a dev dependency), so `import type`, `export … from`
// and `import()` all count, and text inside strings and comments does not.
//
//   node scripts/check-layers.mjs [root]     # root: a tree with a package.json (default: this repo)
//
// Rules (each violation is printed as `file:line: import "spec": rule: why`, exit status 1):
//   layering      a package imports only packages of LOWER layers (the table below):
//                 core ← ml ← platform ← stages ← services ← apps, and inside services
//                 common ← gateway, controller ← cluster.
//   relative      a relative import stays inside its own package folder (other packages are
//                 imported by name). Test code may import the shared helpers under test/.
//   exports       an import of another package names one of its `exports` (`@adq/platform`,
//                 `@adq/platform/nats`), never a file behind them; its `/testing` export only
//                 from test code.
//   undeclared    what a package imports is in its package.json `dependencies` (workspace and
//                 third-party alike); test code may also use the root's devDependencies.
// test/ and bench/ are consumers above every layer: they import any package by name, from its
// `exports` (a package's `/testing` subpath holds what tests need beyond its public surface),
// never by a relative path into a package folder (`relative`) or a name behind its exports
// (`exports`); their relative imports stay in test/ and bench/. A third-party package they
// import must be declared by the root or by some workspace package (`undeclared`).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ts = createRequire(import.meta.url)("typescript");

/** Lowest first. A package may import packages of lower layers only (not its own layer's). */
export const LAYERS = [
  { name: "core", folders: ["packages/core"] },
  { name: "ml", folders: ["packages/ml"] },
  { name: "platform", folders: ["packages/platform"] },
  { name: "stages", folders: ["packages/stages"] },
  { name: "services/common", folders: ["services/common"] },
  { name: "services/gateway|controller", folders: ["services/gateway", "services/controller"] },
  { name: "services/cluster", folders: ["services/cluster"] },
  { name: "apps", folders: ["apps/*"] },
];
const LAYERING = "core ← ml ← platform ← stages ← services (common ← gateway, controller ← cluster) ← apps";

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
/** Tests and the modules only tests import (shared suites, fixtures). */
const TEST_CODE = /\.(test|contract|fixtures?)\.[cm]?[jt]s$/;
const BUILTINS = new Set(builtinModules);
/** Folders of code outside the workspaces that imports them (suites, benchmarks). */
export const CONSUMERS = ["test", "bench"];
/** The subpath export of what only tests need from a package. */
const TESTING = "./testing";

const toPosix = (p) => p.split(sep).join("/");
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

function layerOf(folder) {
  const i = LAYERS.findIndex((l) =>
    l.folders.some((f) => (f.endsWith("/*") ? dirname(folder) === f.slice(0, -2) : folder === f)),
  );
  return i < 0 ? undefined : i;
}

/** The workspaces named by the root package.json (entries or `dir/*` patterns). */
function workspaces(root) {
  const out = [];
  for (const entry of readJson(join(root, "package.json")).workspaces ?? []) {
    const dirs = entry.endsWith("/*")
      ? readdirSync(join(root, entry.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => `${entry.slice(0, -2)}/${d.name}`)
      : [entry];
    for (const folder of dirs) {
      const manifest = join(root, folder, "package.json");
      if (!existsSync(manifest)) continue;
      const pkg = readJson(manifest);
      const exp = typeof pkg.exports === "string" ? { ".": pkg.exports } : (pkg.exports ?? {});
      out.push({
        folder,
        name: pkg.name,
        exports: exp,
        deps: new Set(Object.keys(pkg.dependencies ?? {})),
        devDeps: new Set(Object.keys(pkg.devDependencies ?? {})),
        layer: layerOf(folder),
      });
    }
  }
  return out;
}

function sourceFiles(dir) {
  const out = [];
  for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (d.name === "node_modules" || d.name === "dist" || d.name.startsWith(".")) continue;
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...sourceFiles(p));
    else if (SOURCE.test(d.name) && !d.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** `@scope/name/sub` → ["@scope/name", "./sub"]; `name/sub` → ["name", "./sub"]. */
function splitBare(spec) {
  const parts = spec.split("/");
  const n = spec.startsWith("@") ? 2 : 1;
  const rest = parts.slice(n).join("/");
  return [parts.slice(0, n).join("/"), rest ? `./${rest}` : "."];
}

export function checkLayers(root) {
  const rootPkg = readJson(join(root, "package.json"));
  const rootDev = new Set(Object.keys(rootPkg.devDependencies ?? {}));
  const rootDeps = new Set(Object.keys(rootPkg.dependencies ?? {}));
  const pkgs = workspaces(root);
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const owner = (file) => {
    const rel = toPosix(relative(root, file));
    return pkgs.find((p) => rel === p.folder || rel.startsWith(`${p.folder}/`));
  };
  const violations = [];
  let files = 0;
  let imports = 0;

  for (const p of pkgs) {
    const where = `${p.folder}/package.json`;
    if (p.layer === undefined)
      violations.push(`${where}: package ${p.name}: layering: its folder has no layer (${LAYERING})`);
    for (const [sub, target] of Object.entries(p.exports))
      if (!existsSync(join(root, p.folder, target)))
        violations.push(`${where}: exports "${sub}": exports: ${target} does not exist`);
  }
  // Source files under the workspace roots that belong to no package.
  for (const top of new Set(pkgs.map((p) => p.folder.split("/")[0])))
    for (const f of sourceFiles(join(root, top)))
      if (!owner(f)) violations.push(`${toPosix(relative(root, f))}: relative: the file is in no package`);

  for (const p of pkgs) {
    for (const file of sourceFiles(join(root, p.folder))) {
      files++;
      const rel = toPosix(relative(root, file));
      const text = readFileSync(file, "utf8");
      const isTest = TEST_CODE.test(file);
      const lineOf = (pos) => text.slice(0, pos).split("\n").length;
      for (const { fileName: spec, pos } of ts.preProcessFile(text, true, true).importedFiles) {
        imports++;
        const at = `${rel}:${lineOf(pos)}: import "${spec}"`;
        const fail = (rule, why) => violations.push(`${at}: ${rule}: ${why}`);
        if (spec.startsWith("node:") || BUILTINS.has(spec)) continue;
        if (spec.startsWith(".") || spec.startsWith("/")) {
          const target = resolve(dirname(file), spec);
          const other = owner(target);
          if (other === p) continue;
          const targetRel = toPosix(relative(root, target));
          if (isTest && targetRel.startsWith("test/")) continue;
          fail(
            "relative",
            other
              ? `reaches into ${other.name} (${other.folder}); import it by name ("${other.name}"), from its exports`
              : `leaves ${p.name} (${p.folder}) for ${targetRel}`,
          );
          continue;
        }
        const [name, sub] = splitBare(spec);
        const dep = byName.get(name);
        if (!dep) {
          if (name.startsWith("@adq/")) fail("exports", `there is no workspace package ${name}`);
          else if (!p.deps.has(name) && !(isTest && (rootDev.has(name) || p.devDeps.has(name))))
            fail("undeclared", `${name} is not in the dependencies of ${p.folder}/package.json`);
          continue;
        }
        if (dep === p) continue;
        if (p.layer !== undefined && dep.layer !== undefined && dep.layer >= p.layer)
          fail(
            "layering",
            `${p.name} (layer ${LAYERS[p.layer].name}) must not import ${dep.name} (layer ${LAYERS[dep.layer].name}); the layers, lowest first: ${LAYERING}`,
          );
        else if (!(sub in dep.exports))
          fail(
            "exports",
            `${sub} is not exported by ${dep.name} (its exports: ${Object.keys(dep.exports).join(", ")}): a deep import of its internals`,
          );
        else if (sub === TESTING && !isTest)
          fail(
            "exports",
            `${dep.name}/testing is for tests only; production code uses ${dep.name}'s public exports`,
          );
        else if (!p.deps.has(name))
          fail("undeclared", `${name} is not in the dependencies of ${p.folder}/package.json`);
      }
    }
  }
  // The suites and benchmarks: by name and through exports, like any other user of the packages.
  const anyDeclares = (name) =>
    rootDev.has(name) || rootDeps.has(name) || pkgs.some((p) => p.deps.has(name) || p.devDeps.has(name));
  for (const top of CONSUMERS) {
    if (!existsSync(join(root, top))) continue;
    for (const file of sourceFiles(join(root, top))) {
      files++;
      const rel = toPosix(relative(root, file));
      const text = readFileSync(file, "utf8");
      const lineOf = (pos) => text.slice(0, pos).split("\n").length;
      for (const { fileName: spec, pos } of ts.preProcessFile(text, true, true).importedFiles) {
        imports++;
        const fail = (rule, why) =>
          violations.push(`${rel}:${lineOf(pos)}: import "${spec}": ${rule}: ${why}`);
        if (spec.startsWith("node:") || BUILTINS.has(spec)) continue;
        if (spec.startsWith(".") || spec.startsWith("/")) {
          const target = resolve(dirname(file), spec);
          const targetRel = toPosix(relative(root, target));
          if (CONSUMERS.some((c) => targetRel.startsWith(`${c}/`))) continue;
          const other = owner(target);
          fail(
            "relative",
            other
              ? `reaches into ${other.name} (${other.folder}); import it by name ("${other.name}"), from its exports (a "/testing" export for what only tests need)`
              : `leaves ${top}/ for ${targetRel}`,
          );
          continue;
        }
        const [name, sub] = splitBare(spec);
        const dep = byName.get(name);
        if (!dep) {
          if (name.startsWith("@adq/")) fail("exports", `there is no workspace package ${name}`);
          else if (!anyDeclares(name))
            fail(
              "undeclared",
              `${name} is declared by neither the root package.json nor any workspace package`,
            );
          continue;
        }
        if (!(sub in dep.exports))
          fail(
            "exports",
            `${sub} is not exported by ${dep.name} (its exports: ${Object.keys(dep.exports).join(", ")}): a deep import of its internals`,
          );
      }
    }
  }
  // Sorted (by file, then line): the same tree gives the same report.
  const byFileThenLine = new Intl.Collator("en", { numeric: true }).compare;
  return { violations: violations.sort(byFileThenLine), files, imports, packages: pkgs.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  if (!existsSync(join(root, "package.json")) || !statSync(root).isDirectory()) {
    process.stderr.write(`check-layers: ${root} has no package.json\n`);
    process.exit(2);
  }
  const { violations, files, imports, packages } = checkLayers(root);
  for (const v of violations) process.stderr.write(`${v}\n`);
  const summary = `${packages} packages, ${files} files, ${imports} imports`;
  if (violations.length > 0) {
    process.stderr.write(`check-layers: ${violations.length} violation(s) (${summary})\n`);
    process.exit(1);
  }
  process.stdout.write(`check-layers: ok (${summary})\n`);
}
