/**
 * What the suites that start real servers and processes share: free loopback ports, finding a
 * binary, a registry that SIGKILLs every child still alive when the test process ends (so a
 * failed suite leaves nothing running), waiting for an exit, and the one-server-per-suite
 * vitest fixture.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll } from "vitest";

/** Asks the OS for a free TCP port (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable of `candidates`, then `name` on $PATH; undefined when none. */
export function findExecutable(name: string, candidates: Array<string | undefined>): string | undefined {
  const all = [...candidates];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir) all.push(join(dir, name));
  return all.find((c): c is string => Boolean(c) && isExecutable(c!));
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLive(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

/**
 * Registers a child to be SIGKILLed if it is still alive when this process ends (also on
 * SIGINT/SIGTERM/SIGHUP, which would skip "exit" handlers); it leaves the registry on exit.
 */
export function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", killLive);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(sig, () => {
        killLive();
        // Then let the signal do what it would have done (unless someone else handles it).
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      });
    }
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/**
 * Spawns a server (stdout and stderr piped) and tracks it (see trackChild). `output()` is the
 * last `tailChars` of what it printed, for the error a failed start throws; `debug` also echoes
 * it to this process's stderr.
 */
export function spawnServer(
  bin: string,
  args: string[],
  options: SpawnOptions & { debug: boolean; tailChars: number },
): { proc: ChildProcess; output: () => string } {
  const { debug, tailChars, ...spawnOptions } = options;
  const proc = spawn(bin, args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] });
  trackChild(proc);
  let output = "";
  const collect = (d: Buffer) => {
    output = (output + d.toString("utf8")).slice(-tailChars);
    if (debug) process.stderr.write(d);
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  return { proc, output: () => output };
}

/** Resolves true once the child has exited (at once if it had), false after `timeoutMs`. */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** `signal`, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!(await waitExit(child, graceMs))) {
    child.kill("SIGKILL");
    await waitExit(child, 2000);
  }
}

/**
 * Vitest helper: starts one server for the enclosing suite (beforeAll) and stops it
 * (afterAll). Read `server` inside tests and hooks, not at collection time.
 */
export function useSuiteServer<T extends { stop(): Promise<void> }>(
  what: string,
  start: () => Promise<T>,
  startTimeoutMs: number,
): { readonly server: T } {
  let server: T | undefined;
  beforeAll(async () => {
    server = await start();
  }, startTimeoutMs);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  return {
    get server() {
      if (!server) throw new Error(`${what} fixture used before beforeAll ran`);
      return server;
    },
  };
}
