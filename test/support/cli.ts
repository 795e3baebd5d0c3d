import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { expect } from "vitest";
import { demoSlice, tmp } from "./fs.ts";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `adq` binary as a user would, with a timeout so a hang fails the test. */
export function runCli(
  args: string[],
  opts: {
    timeoutMs?: number;
    onStderr?: (chunk: string, kill: (sig: NodeJS.Signals) => void) => void;
    /** Extra environment (e.g. the AWS variables of an S3 test server). */
    env?: Record<string, string>;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "adq.mjs"), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ADQ_CACHE_DIR: process.env.ADQ_TEST_CACHE ?? "", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`adq ${args.join(" ")} timed out\n${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
      opts.onStderr?.(String(d), (sig) => child.kill(sig));
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `adq compress <data> --out <out> --cache-dir <cache> …args`: the CLI run most suites start
 * with; `out` and `cache` are fresh temp dirs unless given. Resolves with `out`.
 */
export async function compressCli(
  data: string,
  args: string[],
  o: { out?: string; cache?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult & { out: string }> {
  const out = o.out ?? join(tmp("adq-out-"), "r");
  const cache = o.cache ?? tmp("adq-cache-");
  const r = await runCli(["compress", data, "--out", out, "--cache-dir", cache, ...args], {
    ...(o.env ? { env: o.env } : {}),
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });
  return { ...r, out };
}

/**
 * `adq compress` of a 3 × 40 demo slice, sent `signal` once its stderr matches `when` (the stage
 * it should be in): expects it sent, exit `code`, "interrupted" on stderr, and nothing left in the
 * output's parent folder (no output, no temporary folder).
 */
export async function expectCleanInterrupt(
  signal: NodeJS.Signals,
  when: RegExp,
  code: number,
  timeoutMs?: number,
): Promise<void> {
  const parent = tmp("adq-interrupt-");
  let sent = false;
  const r = await runCli(
    ["compress", demoSlice(3, 40), "--out", join(parent, "out"), "--cache-dir", tmp("c-")],
    {
      ...(timeoutMs ? { timeoutMs } : {}),
      onStderr: (chunk, kill) => {
        if (!sent && when.test(chunk)) {
          sent = true;
          kill(signal);
        }
      },
    },
  );
  expect(sent).toBe(true);
  expect(r.code).toBe(code);
  expect(r.stderr).toMatch(/interrupted/);
  expect(readdirSync(parent)).toEqual([]);
}
