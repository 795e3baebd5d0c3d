import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Vitest global set-up: every test file's scratch folders (mkdtemp under os.tmpdir()) and the
 * processes they start land in one folder per suite run, removed at the end, so repeated runs
 * do not pile up data sets, caches and outputs in /tmp. Workers are forked after this runs and
 * inherit TMPDIR. ADQ_KEEP_TEST_TMP=1 keeps the folder for a post-mortem.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "adq-test-run-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.ADQ_KEEP_TEST_TMP === "1") {
      process.stderr.write(`test scratch folder kept: ${dir}\n`);
      return;
    }
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      // A mount a test could not undo (the disk-full cases) must not fail the suite.
      process.stderr.write(`could not remove the test scratch folder ${dir}: ${(e as Error).message}\n`);
    }
  };
}
