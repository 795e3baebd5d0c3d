/**
 * The container image under test and the containers of a test: Debian's podman as root with
 * runc, cgroupfs and no default ulimits (deploy/containers.conf, what works in these VMs).
 * Every container a test starts is attached (`podman run --rm`, no -d), so its output streams
 * into a ServiceProcess (test/cluster/procs.ts: JSON log lines, "listening on"), and is
 * removed with `podman rm -f` in `removeAll()` and on process exit.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "@adq/cli";
import { ServiceProcess } from "../cluster/procs.ts";

const run = promisify(execFile);

export const IMAGE = process.env.ADQ_IMAGE ?? "localhost/adq:latest";
export const CONTAINERS_CONF = join(REPO_ROOT, "deploy", "containers.conf");
const GLOBAL = ["--runtime", "runc", "--cgroup-manager=cgroupfs"];
const ENV = { ...process.env, CONTAINERS_CONF };

/** Set ADQ_CONTAINER_TESTS=0 to skip the container tests; anything else runs them (and fails without podman). */
export const CONTAINER_TESTS = process.env.ADQ_CONTAINER_TESTS !== "0";

export async function podman(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run("podman", [...GLOBAL, ...args], {
    env: ENV,
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  return stdout;
}

/** scripts/build-image.sh: rebuilds the image from this checkout (layers cached; minutes on a fresh machine). */
export async function buildImage(): Promise<void> {
  try {
    await run("bash", [join(REPO_ROOT, "scripts", "build-image.sh")], {
      cwd: REPO_ROOT,
      env: { ...process.env, ADQ_IMAGE: IMAGE },
      timeout: 900_000,
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(
      `scripts/build-image.sh failed (container tests need podman; ADQ_CONTAINER_TESTS=0 skips them):\n${err.stderr?.slice(-4000) ?? err.message}`,
    );
  }
}

/** What every container of the tests runs with: the restricted shape the Helm chart asks for. */
export const HARDENING = [
  "--network",
  "host",
  "--read-only",
  "--read-only-tmpfs=false",
  "--tmpfs",
  "/tmp:rw,nosuid,nodev,size=256m",
  "--cap-drop",
  "all",
  "--security-opt",
  "no-new-privileges",
];

const names = new Set<string>();
let seq = 0;
let hooked = false;

export function removeAll(): void {
  for (const n of names) {
    try {
      execFileSync("podman", [...GLOBAL, "rm", "-f", "-t", "0", n], { env: ENV, stdio: "ignore" });
    } catch {
      // already gone
    }
  }
  names.clear();
}

export type Container = ServiceProcess & { container: string };

/**
 * `podman run --rm` attached: `args` after the image go to the `adq` entry point. Resolves
 * once the container is running (not when it is ready: use `until`/health checks).
 */
export function startContainer(
  role: string,
  args: string[],
  opts: { env?: Record<string, string>; volumes?: string[]; extra?: string[] } = {},
): Container {
  if (!hooked) {
    hooked = true;
    process.once("exit", removeAll);
  }
  const container = `adq-ct-${process.pid}-${role}-${++seq}`;
  names.add(container);
  const child = spawn(
    "podman",
    [
      ...GLOBAL,
      "run",
      "--rm",
      "--name",
      container,
      ...HARDENING,
      ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      ...(opts.volumes ?? []).flatMap((v) => ["-v", v]),
      ...(opts.extra ?? []),
      IMAGE,
      ...args,
    ],
    { env: ENV, stdio: ["pipe", "pipe", "pipe"] },
  );
  const p = new ServiceProcess(container, child);
  void p.exited.then(() => names.delete(container));
  return Object.assign(p, { container });
}

/** SIGKILL through the engine (a crash of the container, not of the attached client). */
export async function killContainer(c: Container): Promise<void> {
  await podman(["kill", "--signal", "KILL", c.container]);
  await c.exited;
}

/** `podman stop`: SIGTERM (the image's STOPSIGNAL) to PID 1, SIGKILL after `graceS`. */
export async function stopContainer(
  c: Container,
  graceS = 30,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  await podman(["stop", "-t", String(graceS), c.container], (graceS + 30) * 1000);
  return c.exited;
}
