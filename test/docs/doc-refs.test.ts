// The code's comments point at sections of docs/algorithm.md and docs/architecture.md
// ("docs/algorithm.md §4.2"); this keeps those pointers true: every section named exists as a
// heading ("## 4." / "### 4.2"), and nothing points at documents that are not in the
// repository (the reference notes and design notes the docs were written from).

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SKIP = new Set(["node_modules", ".git", "dist", "demo", "charts", "deploy"]);
const EXT = /\.(ts|mts|mjs|py|proto|md|sh)$/;

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".") || SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (EXT.test(e.name)) out.push(p);
  }
  return out;
}

/** Section numbers of a document's headings: "## 4. Scores" → "4", "### 4.2 Diversity" → "4.2". */
function sections(doc: string): Set<string> {
  const text = readFileSync(join(ROOT, doc), "utf8");
  return new Set([...text.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]!));
}

/** Every "docs/<name>.md §n[.m]" in the given texts, with where it stands. */
function references(
  files: Array<{ name: string; text: string }>,
): Array<{ at: string; doc: string; section: string }> {
  const out: Array<{ at: string; doc: string; section: string }> = [];
  for (const f of files) {
    for (const m of f.text.matchAll(
      /docs\/(algorithm|architecture)\.md[\])]?(?:\([^)]*\))? §(\d+(?:\.\d+)?)/g,
    )) {
      const line = f.text.slice(0, m.index).split("\n").length;
      out.push({ at: `${f.name}:${line}`, doc: `docs/${m[1]}.md`, section: m[2]! });
    }
  }
  return out;
}

const files = sources(ROOT)
  .filter((p) => !p.includes(`${join(ROOT, "test/docs")}`))
  .map((p) => ({ name: relative(ROOT, p), text: readFileSync(p, "utf8") }));

const DOCS: Record<string, Set<string>> = {
  "docs/algorithm.md": sections("docs/algorithm.md"),
  "docs/architecture.md": sections("docs/architecture.md"),
};

function broken(refs: ReturnType<typeof references>): string[] {
  return refs.filter((r) => !DOCS[r.doc]!.has(r.section)).map((r) => `${r.at}: ${r.doc} §${r.section}`);
}

describe("pointers into docs/", () => {
  it("name sections that exist", () => {
    const refs = references(files);
    expect(refs.length).toBeGreaterThan(15);
    expect(broken(refs)).toEqual([]);
  });

  it("finds a broken pointer (the check can fail)", () => {
    const text = "see docs/algorithm.md §4.2,\ndocs/algorithm.md §99.9 and docs/architecture.md §2";
    expect(broken(references([{ name: "x.ts", text }]))).toEqual(["x.ts:2: docs/algorithm.md §99.9"]);
  });

  it("point at no document outside the repository", () => {
    const outside = files
      .filter((f) => !f.name.startsWith("docs/") && /REFERENCE-NOTES|DESIGN\.md/.test(f.text))
      .map((f) => f.name);
    expect(outside).toEqual([]);
  });
});
