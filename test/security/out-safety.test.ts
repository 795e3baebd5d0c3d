// `--out` safety by device and inode (issue 28): a bind mount of the data set is the data set,
// and `--force` re-checks right before replacing `--out`. Bind mounts need root (mount(8));
// without it those cases are skipped, saying so.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkOutputTarget, prepareStaging, publishStaging } from "@adq/cli/testing";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../e2e/cli.ts";
import { demoSlice, tmp } from "../e2e/helpers.ts";

function tryMount(src: string, dst: string): boolean {
  try {
    execFileSync("mount", ["--bind", src, dst], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const count = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (n, d) => n + (d.isDirectory() ? count(join(dir, d.name)) : 1),
    0,
  );

describe("--out through a bind mount of the data set", () => {
  const root = tmp("adq-bind-");
  const data = join(root, "data");
  mkdirSync(data);
  const ds = demoSlice(2, 3);
  renameSync(ds, join(data, "ds"));
  const bind = join(root, "bind-data");
  mkdirSync(bind);
  const mounted = tryMount(data, bind);
  afterAll(() => {
    if (mounted) execFileSync("umount", [bind]);
  });

  it.skipIf(!mounted)(
    "is refused as the data set, its container or inside it (device and inode)",
    async () => {
      const inputs = [{ what: "the data set", path: join(data, "ds") }];
      await expect(checkOutputTarget(join(bind, "ds"), inputs)).rejects.toThrow(/is the data set/);
      await expect(checkOutputTarget(bind, inputs)).rejects.toThrow(/contains the data set/);
      await expect(checkOutputTarget(join(bind, "ds", "result"), inputs)).rejects.toThrow(
        /is inside the data set/,
      );
      await expect(checkOutputTarget(join(root, "elsewhere"), inputs)).resolves.toBeUndefined();
    },
  );

  it.skipIf(!mounted)(
    "adq compress data/ds --force --out bind-data/ds exits 2 and deletes nothing",
    async () => {
      const before = count(join(data, "ds"));
      expect(before).toBe(6);
      const r = await runCli(
        ["compress", join(data, "ds"), "--force", "--out", join(bind, "ds"), "--ratio", "0.5"],
        {
          timeoutMs: 60_000,
        },
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/--out .*bind-data\/ds is the data set/);
      expect(count(join(data, "ds"))).toBe(before);
    },
    90_000,
  );
});

describe("publishStaging re-checks --out right before replacing it", () => {
  it("a parent symlink swapped to the data set's folder during the run: refused, nothing deleted", async () => {
    const root = tmp("adq-swap-");
    const data = join(root, "data");
    mkdirSync(join(data, "ds", "cls"), { recursive: true });
    writeFileSync(join(data, "ds", "cls", "a.png"), "x");
    const safe = join(root, "safe");
    mkdirSync(join(safe, "ds"), { recursive: true });
    writeFileSync(join(safe, "ds", "old-result"), "x");
    const link = join(root, "link");
    symlinkSync(safe, link);
    const inputs = [{ what: "the data set", path: join(data, "ds") }];
    const out = join(link, "ds");
    await checkOutputTarget(out, inputs); // fine when the run starts
    const s = await prepareStaging(out);
    writeFileSync(join(s.tmp, "manifest.json"), "{}");
    // During the run: link now points at the data set's parent.
    execFileSync("ln", ["-sfn", data, link]);
    await expect(publishStaging(s, true, inputs)).rejects.toThrow(/is the data set/);
    expect(readdirSync(join(data, "ds", "cls"))).toEqual(["a.png"]);
  });
});
