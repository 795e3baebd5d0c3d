// The TypeScript contracts in services/common/generated are generated from proto/ (npm run
// generate, proto-loader-gen-types): regenerating gives no diff, so a proto change that was not
// regenerated (or a hand edit of a generated file) fails here, in CI.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { describe, expect, it } from "vitest";
import { tmp } from "../e2e/helpers.ts";

const GENERATED = join(REPO_ROOT, "services", "common", "generated");

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))]))
    .sort();
}

describe("generated proto contracts", () => {
  it("regenerating from proto/ gives the committed files, byte for byte", () => {
    const out = join(tmp("adq-gen-"), "generated");
    execFileSync(join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["scripts/generate.ts", "--out", out], {
      cwd: REPO_ROOT,
      stdio: "pipe",
    });
    const files = walk(out);
    expect(files, "stale: run npm run generate").toEqual(walk(GENERATED));
    expect(files.length).toBeGreaterThan(70);
    for (const f of files)
      expect(readFileSync(join(GENERATED, f), "utf8"), `${f} is stale: run npm run generate`).toBe(
        readFileSync(join(out, f), "utf8"),
      );
    // Every stage service has its typed handlers (services/cluster/stage-services.ts uses them).
    const index = readFileSync(join(out, "index.ts"), "utf8");
    for (const s of [
      "FeatureService",
      "BinningService",
      "ScoringService",
      "SamplingService",
      "CompressionService",
    ])
      expect(index).toContain(`./adq/v1/${s}.ts`);
  }, 60_000);
});
