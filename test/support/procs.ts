/**
 * Service processes for the cluster tests: `node bin/adq.mjs serve …` children whose JSON
 * log lines (stderr) are parsed as they come, so a test can wait for "this worker started
 * that task". Every child is registered and SIGKILLed by `killAll()` (afterAll) and on
 * process exit, so nothing outlives a failed suite.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import { afterAll, beforeAll } from "vitest";
import { tmp } from "./fs.ts";

export type LogLine = Record<string, unknown> & { event?: string; job_id?: string };

const live = new Set<ChildProcessWithoutNullStreams>();
const all: ServiceProcess[] = [];

/** With $ADQ_CLUSTER_LOG_DIR set, writes every service's stdout+stderr there (debugging). */
export function dumpLogs(): void {
  const dir = process.env.ADQ_CLUSTER_LOG_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  all.forEach((p, i) => {
    writeFileSync(join(dir, `${String(i).padStart(2, "0")}-${p.name}.log`), p.stdout + p.stderr);
  });
}
let hooked = false;

export function killAll(): void {
  for (const c of live) {
    try {
      c.kill("SIGKILL");
    } catch {
      // gone
    }
  }
  live.clear();
}

export class ServiceProcess {
  readonly logs: LogLine[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly child: ChildProcessWithoutNullStreams,
  ) {
    let partial = "";
    child.stderr.on("data", (d: Buffer) => {
      const s = d.toString("utf8");
      this.stderr += s;
      partial += s;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
      this.wake();
    });
    child.stdout.on("data", (d: Buffer) => {
      this.stdout += d.toString("utf8");
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        live.delete(child);
        this.wake();
        resolve({ code, signal });
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Waits until `check` returns a value (re-checked on every output chunk). */
  async until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const first = check();
    if (first !== undefined) return first;
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(poll);
      };
      const poll = () => {
        const v = check();
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (!this.running) {
          done();
          reject(new Error(`${this.name} exited while waiting for ${what}\n${this.stderr.slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.stderr.slice(-3000)}`));
      }, timeoutMs);
      this.waiters.add(poll);
    });
  }

  /** The first log line matching `pred` (already seen or coming). */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return this.until(() => this.logs.find(pred), timeoutMs, what);
  }

  find(pred: (l: LogLine) => boolean): LogLine[] {
    return this.logs.filter(pred);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then the exit status (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.kill("SIGTERM");
    const t = setTimeout(() => this.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(t);
    }
  }
}

/** Spawns `adq <args>` and waits for its "listening on <address>" line on stdout. */
export async function startService(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  startTimeoutMs = 45_000,
): Promise<ServiceProcess & { address: string; metricsUrl: string | undefined }> {
  if (!hooked) {
    hooked = true;
    process.once("exit", killAll);
  }
  const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "adq.mjs"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  live.add(child);
  const p = new ServiceProcess(name, child);
  all.push(p);
  const address = await p.until(
    () => /listening on (\S+)/.exec(p.stdout)?.[1],
    startTimeoutMs,
    "'listening on' line",
  );
  const metricsUrl = /metrics: (http:\/\/\S+?\/metrics)/.exec(p.stdout)?.[1];
  return Object.assign(p, { address, metricsUrl });
}

/** The flags every process of a test cluster takes: its nats-server, the ack wait, one thread. */
export function clusterFlags(natsUrl: string, ackWaitMs: number): string[] {
  return ["--nats", natsUrl, "--insecure-nats", "--ack-wait-ms", String(ackWaitMs), "--threads", "1"];
}

/** `adq serve` (embedded) on a free port over `dataRoot`: one thread, a fresh cache dir, `extra` flags. */
export function startServe(dataRoot: string, env: Record<string, string> = {}, extra: string[] = []) {
  const cache = tmp("adq-serve-cache-");
  const args = ["serve", "--port", "0", "--data-root", dataRoot, "--cache-dir", cache, "--threads", "1"];
  return startService("adq serve", [...args, ...extra], env, 30_000);
}

/**
 * Vitest helper: `adq serve` (startServe) for the enclosing suite, over the data root `setup`
 * returns, started in beforeAll and killed in afterAll. Read the fields inside tests and hooks.
 */
export function useServe(setup: () => { data: string; env?: Record<string, string>; args?: string[] }): {
  readonly server: ServiceProcess;
  readonly address: string;
  readonly data: string;
} {
  let s: { server: ServiceProcess & { address: string }; data: string } | undefined;
  beforeAll(async () => {
    const o = setup();
    s = { data: o.data, server: await startServe(o.data, o.env, o.args) };
  }, 40_000);
  afterAll(() => {
    s?.server.kill("SIGKILL");
  });
  const started = () => {
    if (!s) throw new Error("adq serve fixture used before beforeAll ran");
    return s;
  };
  return {
    get server() {
      return started().server;
    },
    get address() {
      return started().server.address;
    },
    get data() {
      return started().data;
    },
  };
}
