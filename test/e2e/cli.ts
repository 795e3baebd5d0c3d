import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";

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
