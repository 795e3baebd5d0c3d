// The cases of a hostile-input run of the CLI (data loss, failures, a hang), each pinned with the
// outcome a careful user expects. Disk-full and read-only cases mount real tmpfs file systems
// (root only: CI runs as root; elsewhere they are skipped with a reason, never faked).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import type { Manifest } from "@adq/stages";
import { afterAll, describe, expect, it } from "vitest";
import { expectCleanInterrupt } from "../support/cli.ts";
import { compressCli, runCli } from "./cli.ts";
import { demoSlice, tmp } from "./helpers.ts";

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;

/** Every file under a folder with its size: "nothing was deleted or changed". */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}:${statSync(join(d, e.name)).size}`);
    }
  };
  walk(dir, "");
  return out;
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/unexpected error|\n\s+at /);

describe("--out never endangers an input", () => {
  const data = demoSlice(2, 12);
  const before = listing(data);
  const cache = tmp("adq-cache-");
  const cases: Array<[string, () => string, RegExp]> = [
    ["equal to the data set", () => data, /is the data set/],
    ["the data set's parent", () => join(data, ".."), /contains the data set/],
    ["inside the data set", () => join(data, "result"), /is inside the data set/],
    ["inside a class folder", () => join(data, "airplane"), /is inside the data set/],
    [
      "a symlink to the data set",
      () => {
        const link = join(tmp("adq-link-"), "alias");
        symlinkSync(data, link);
        return link;
      },
      /is the data set/,
    ],
    ["the cache directory", () => cache, /is the cache directory/],
  ];
  for (const [name, out, message] of cases) {
    it(`${name}: refused with --force before anything is deleted`, async () => {
      const r = await runCli(["compress", data, "--out", out(), "--force", "--cache-dir", cache]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/features:/); // refused before the pipeline
      noStack(r.stderr);
      expect(listing(data)).toEqual(before);
    });
  }

  it("reconstruct --out equal to its compressed input is refused", async () => {
    const r = await compressCli(data, ["--ratio", "0.25", "--bins", "2"], { cache });
    const { out } = r;
    expect(r.code).toBe(0);
    const files = listing(out);
    const r2 = await runCli(["reconstruct", out, "--out", out, "--force"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/is the compressed result/);
    expect(listing(out)).toEqual(files);
  }, 120_000);
});

describe("classes allocated zero images", () => {
  /** `classes` demo classes with `sizes[c]` images each (the demo has 200 per class). */
  function dataset(sizes: number[]): string {
    const full = demoSlice(sizes.length, Math.max(...sizes));
    const dir = tmp("adq-zero-");
    readdirSync(full)
      .sort()
      .forEach((cls, c) => {
        mkdirSync(join(dir, cls));
        for (const f of readdirSync(join(full, cls)).sort().slice(0, sizes[c]))
          cpSync(join(full, cls, f), join(dir, cls, f));
      });
    return dir;
  }

  // adq with its held-out levers (β 0.3, 50 strata per bin) on the ResNet-20 named explicitly:
  // the levers' edge cases without the general backbone's cost (its default model).
  const RESNET = ["--model", join(REPO_ROOT, "models", "resnet20-cifar10.onnx")];
  for (const [method, extra] of [
    ["adq", RESNET],
    ["adq-paper", []],
    ["dq", []],
    ["random", []],
  ] as const) {
    it(`${method}: ρ = 0.01 on 10 classes × 30 images keeps 3, the others get 0 (patches dropped)`, async () => {
      const data = dataset(Array(10).fill(30));
      const args = ["--ratio", "0.01", "--bins", "3", "--method", method, ...extra];
      const r = await compressCli(data, args, { timeoutMs: 180_000 });
      const { out } = r;
      noStack(r.stderr);
      expect(r.code).toBe(0);
      const m = manifestOf(out);
      expect(m.selected).toBe(3);
      expect(m.perClass).toHaveLength(10);
      expect(m.perClass.filter((n) => n === 0)).toHaveLength(7);
      expect(m.items).toHaveLength(3);
      for (const it of m.items) expect(it.mask).toMatch(/^[0-9a-f]+$/);
    }, 200_000);
  }

  it("a 3-image class at ρ = 0.1 with 3 bins", async () => {
    const data = dataset([30, 30, 3]);
    const r = await compressCli(data, ["--ratio", "0.1", "--bins", "3"]);
    const { out } = r;
    noStack(r.stderr);
    expect(r.code).toBe(0);
    expect(manifestOf(out).perClass).toEqual([3, 3, 0]);
  }, 120_000);
});

describe("fails fast, stops at once", () => {
  const data = demoSlice(2, 12);

  it("--out under /proc: a precise error at once, not a spinning mkdir", async () => {
    const r = await runCli(["compress", data, "--out", "/proc/adqtest", "--cache-dir", tmp("c-")], {
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/adq: cannot write in \/proc: no such file or directory \(ENOENT\)/);
    noStack(r.stderr);
  });

  it("--cache-dir under /proc: the same", async () => {
    const r = await runCli(
      ["compress", data, "--out", join(tmp("o-"), "o"), "--cache-dir", "/proc/adq-cache"],
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot create the cache directory at \/proc\/adq-cache/);
  });

  it("SIGTERM mid-run stops it (exit 143), leaving no output and no temporary folder", async () => {
    await expectCleanInterrupt("SIGTERM", /features/, 143, 60_000);
  }, 90_000);

  it("--out under a file: exit 2 naming it, before the pipeline", async () => {
    const root = tmp("adq-file-");
    writeFileSync(join(root, "plain"), "x");
    const r = await runCli(["compress", data, "--out", join(root, "plain", "out"), "--cache-dir", tmp("c-")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/plain: a path component is not a directory \(ENOTDIR\)/);
    expect(r.stderr).not.toMatch(/features:/);
  });

  it("--out under a missing parent: the parents are created", async () => {
    const out = join(tmp("adq-deep-"), "a", "b", "out");
    const r = await compressCli(data, ["--ratio", "0.25", "--bins", "2"], { out });
    expect(r.code).toBe(0);
    expect(manifestOf(out).selected).toBe(6);
  }, 120_000);

  it("numbers are decimal only: --ratio 0x1 is refused", async () => {
    const r = await runCli(["compress", data, "--ratio", "0x1", "--out", join(tmp("o-"), "o")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ratio must be a decimal number, got "0x1"/);
  });

  it("a JPEG cut mid-scan with its end marker re-added fails naming the file, or is skipped and listed", async () => {
    const bad = demoSlice(2, 12);
    const src = readFileSync(join(bad, "airplane", readdirSync(join(bad, "airplane")).sort()[0]!));
    const sos = src.indexOf(Buffer.from([0xff, 0xda]));
    const cut = Buffer.concat([
      src.subarray(0, sos + Math.floor((src.length - sos) / 2)),
      Buffer.from([0xff, 0xd9]),
    ]);
    writeFileSync(join(bad, "airplane", "zz-cut.jpg"), cut);
    const out = join(tmp("o-"), "o");
    const r = await runCli(["compress", bad, "--out", out, "--bins", "2", "--cache-dir", tmp("c-")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /zz-cut\.jpg: truncated image data \(the JPEG scan ends before the last block\)/,
    );
    const r2 = await runCli([
      "compress",
      bad,
      "--out",
      out,
      "--bins",
      "2",
      "--skip-bad-files",
      "--cache-dir",
      tmp("c-"),
    ]);
    expect(r2.code).toBe(0);
    expect(manifestOf(out).skipped).toEqual([
      {
        id: "airplane/zz-cut.jpg",
        reason: "truncated image data (the JPEG scan ends before the last block)",
      },
    ]);
  }, 120_000);
});

// ---- real file systems that are full or read-only (tmpfs mounts, root only) ----

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = tmp("adq-mnt-probe-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const MOUNTS = canMount();
if (!MOUNTS && process.env.CI)
  throw new Error("CI must run as root with mount(8): the disk-full tests need tmpfs");

describe.runIf(MOUNTS)("full and read-only file systems (tmpfs)", () => {
  const mounted: string[] = [];
  const tmpfs = (options: string): string => {
    const dir = tmp("adq-mnt-");
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
    mounted.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const d of mounted) execFileSync("umount", ["-l", d]);
  });
  const data = demoSlice(3, 40);
  const flags = ["--ratio", "0.25", "--bins", "4"];
  /** Names under a folder that look like a temporary file of ours. */
  const leftovers = (dir: string) =>
    (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.tmp-|adq-probe/.test(f));

  it("--out on a read-only file system: exit 2 naming the path, before the pipeline", async () => {
    const ro = tmpfs("ro,size=1m");
    const r = await runCli(["compress", data, "--out", join(ro, "out"), "--cache-dir", tmp("c-"), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot write in ${ro}: read-only file system \\(EROFS\\)`));
    expect(r.stderr).not.toMatch(/features:/);
    noStack(r.stderr);
  });

  it("a full disk under --out: exit 2 naming the file, nothing left behind", async () => {
    const full = tmpfs("size=64k");
    const r = await runCli(
      ["compress", data, "--out", join(full, "out"), "--cache-dir", tmp("c-"), ...flags],
      {
        timeoutMs: 180_000,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write .*: no space left on device \(ENOSPC\)/);
    noStack(r.stderr);
    expect(readdirSync(full)).toEqual([]);
  }, 200_000);

  it("a full cache: exit 2, no temporary files; after freeing space the re-run resumes to the same manifest", async () => {
    const cache = tmpfs("size=128k");
    const out = join(tmp("o-"), "out");
    const r = await runCli(["compress", data, "--out", out, "--cache-dir", cache, ...flags], {
      timeoutMs: 180_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no space left on device \(ENOSPC\)/);
    noStack(r.stderr);
    expect(leftovers(cache)).toEqual([]);
    execFileSync("mount", ["-o", "remount,size=64m", cache]);
    const r2 = await runCli(["compress", data, "--out", out, "--cache-dir", cache, ...flags], {
      timeoutMs: 180_000,
    });
    expect(r2.code).toBe(0);
    const ref = join(tmp("o-"), "ref");
    const r3 = await runCli(["compress", data, "--out", ref, "--cache-dir", tmp("c-"), ...flags], {
      timeoutMs: 180_000,
    });
    expect(r3.code).toBe(0);
    expect(readFileSync(join(out, "manifest.json")).equals(readFileSync(join(ref, "manifest.json")))).toBe(
      true,
    );
    expect(leftovers(cache)).toEqual([]);
  }, 400_000);
});
