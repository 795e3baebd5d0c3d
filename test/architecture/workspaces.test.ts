// The npm workspaces and the places outside npm that must list them: every workspace is a
// `@adq/…` ESM package with explicit exports, and deploy/Dockerfile.cuda (not built in CI)
// builds on the CPU image, which installs them all.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { describe, expect, it } from "vitest";

const root = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { workspaces: string[] };

describe("npm workspaces", () => {
  it.each(root.workspaces)("%s is an @adq ESM package with explicit exports", (folder) => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, folder, "package.json"), "utf8"));
    expect(pkg.name).toMatch(/^@adq\/[a-z-]+$/);
    expect(pkg.type).toBe("module");
    expect(pkg.private).toBe(true);
    expect(Object.keys(pkg.exports)).toContain(".");
  });

  it.each(root.workspaces)("%s's entry points name what they export (no `export *`)", (folder) => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, folder, "package.json"), "utf8"));
    for (const target of Object.values(pkg.exports as Record<string, string>)) {
      if (target.includes("/generated/")) continue; // generated: every proto type, by design
      const text = readFileSync(join(REPO_ROOT, folder, target), "utf8");
      expect(text.match(/^export (type )?\* from .*$/gm), `${folder}/${target}`).toBeNull();
    }
  });

  it("deploy/Dockerfile.cuda builds on the CPU image (every workspace installed there) and adds only the CUDA provider", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, "deploy", "Dockerfile.cuda"), "utf8");
    expect(dockerfile).toMatch(/^ARG BASE=localhost\/adq:latest$/m);
    expect(dockerfile).toMatch(/^FROM \$\{BASE\}$/m);
    // No second install of the workspaces: the CUDA image cannot drift from the CPU one.
    expect(dockerfile).not.toMatch(/npm (ci|install)/);
  });
});
