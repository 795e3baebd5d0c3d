/**
 * A real `nats-server -js` for integration tests: one per test suite, on a free port, with a
 * fresh temporary JetStream store directory. `restart()` brings it back on the same port and
 * store directory (what the reconnect tests of the cluster mode need); `kill()` is a SIGKILL
 * (a crash, no graceful JetStream flush). Child processes never outlive the test process:
 * every live server is SIGKILLed on process exit, and `useNatsServer()` stops it in
 * `afterAll`.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findExecutable,
  freePort,
  isExecutable,
  spawnServer,
  stopChild,
  useSuiteServer,
  waitExit,
} from "./process.ts";

// Kept here for the suites that import it from this module.
export { freePort } from "./process.ts";

export const NATS_SERVER_MISSING =
  "nats-server not found: install the Debian package nats-server (scripts/setup.sh does)";

export interface NatsServerOptions {
  /** Path to the binary (default: $NATS_SERVER_BIN, /usr/sbin/nats-server, then $PATH). */
  binary?: string;
  /** Bounded wait for the server to accept connections, per start (default 15 s). */
  startTimeoutMs?: number;
  /** Extra command-line arguments. */
  args?: string[];
  /** A configuration file (`-c`): authorization, TLS… The port, store dir and JetStream flags still apply. */
  config?: string;
  /** Extra environment of the server process (e.g. the `$VAR`s a config file references). */
  env?: Record<string, string>;
  /** Forward the server's output to this process's stderr (default: $NATS_SERVER_DEBUG). */
  debug?: boolean;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` — stable across restarts. */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory (`-sd`), kept across restarts, removed by `stop()`. */
  readonly storeDir: string;
  /** True while the server process runs. */
  readonly running: boolean;
  /** Graceful stop (SIGTERM, SIGKILL after 5 s). With `keepStore`, the store dir survives. */
  stop(options?: { keepStore?: boolean }): Promise<void>;
  /** Graceful stop, then start again on the same port with the same store directory. */
  restart(): Promise<void>;
  /** SIGKILL: a crash. `start()` again (or `restart()`) recovers from the store directory. */
  kill(): Promise<void>;
  /** Starts a stopped/killed server again on the same port and store directory. */
  start(): Promise<void>;
}

/** Finds the nats-server binary or throws the install hint. */
export function findNatsServer(binary?: string): string {
  if (binary) {
    if (isExecutable(binary)) return binary;
    throw new Error(`${NATS_SERVER_MISSING} (no executable at ${binary})`);
  }
  const candidates = [process.env.NATS_SERVER_BIN, "/usr/sbin/nats-server", "/usr/bin/nats-server"];
  const found = findExecutable("nats-server", candidates);
  if (found) return found;
  throw new Error(NATS_SERVER_MISSING);
}

/** Resolves once a client gets the server's INFO line with JetStream enabled. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    let buf = "";
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("error", () => done(false));
    sock.on("data", (d) => {
      buf += d.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      done(line.startsWith("INFO ") && /"jetstream"\s*:\s*true/.test(line));
    });
  });
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = findNatsServer(options.binary);
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), "adq-nats-"));
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const debug = options.debug ?? Boolean(process.env.NATS_SERVER_DEBUG);
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child) throw new Error("nats-server is already running");
    const args = [
      "-js",
      "-a",
      "127.0.0.1",
      "-p",
      String(port),
      "-sd",
      storeDir,
      ...(options.config ? ["-c", options.config] : []),
      ...(options.args ?? []),
    ];
    const { proc, output } = spawnServer(bin, args, {
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      debug,
      tailChars: 4000,
    });
    child = proc;
    let spawnError: Error | undefined;
    proc.once("error", (e) => {
      spawnError = e;
    });
    proc.once("exit", () => {
      if (child === proc) child = undefined;
    });
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (spawnError) {
        throw (spawnError as NodeJS.ErrnoException).code === "ENOENT"
          ? new Error(NATS_SERVER_MISSING)
          : spawnError;
      }
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(
          `nats-server exited during start (${proc.exitCode ?? proc.signalCode}):\n${output()}`,
        );
      }
      if (await probe(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill("SIGKILL");
    await waitExit(proc, 2000);
    throw new Error(
      `nats-server did not accept connections on port ${port} within ${startTimeoutMs} ms:\n${output()}`,
    );
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    await stopChild(proc, signal);
    if (child === proc) child = undefined;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get running() {
      return child !== undefined;
    },
    async stop({ keepStore = false } = {}) {
      await halt("SIGTERM");
      if (!keepStore) await rm(storeDir, { recursive: true, force: true });
    },
    async restart() {
      await halt("SIGTERM");
      await start();
    },
    async kill() {
      await halt("SIGKILL");
    },
    start,
  };
}

/** Vitest helper: one server for the enclosing suite. Read `server` inside tests and hooks. */
export function useNatsServer(options: NatsServerOptions = {}): { readonly server: NatsServer } {
  return useSuiteServer("nats-server", () => startNatsServer(options), 30_000);
}
