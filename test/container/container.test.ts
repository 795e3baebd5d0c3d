// The container image end to end (issue 14, "Container image"): the image is built from
// deploy/Dockerfile by scripts/build-image.sh (podman, no registry), then
//   - a nats-server on the host (test/support/nats-server.ts),
//   - the gateway + coordinator container (`serve --nats … --no-workers`),
//   - one container per stage (`serve --stage <s> --nats …`),
// all on the host network, read-only root file system, /tmp the only writable mount, no
// capabilities, the image's non-root user. A job on the bundled demo (baked into the image
// at /app/demo/cifar10-demo) submitted with `adq submit/watch/result` must give a
// manifest.json byte-identical to `adq compress` run in the same image; then a features
// container is SIGKILLed mid-task, a new one is started, and the job still finishes with the
// same bytes. SIGTERM (podman stop) drains and exits 0.
//
// SLOW (≈ 2 min on 2 cores; the first build on a fresh machine adds the debootstrap, ≈ 1 min).
// Needs root and podman (scripts/build-image.sh installs it); ADQ_CONTAINER_TESTS=0 skips.

import { createHash } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkHealth } from "@adq/service-common/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../e2e/cli.ts";
import { tmp } from "../e2e/helpers.ts";
import { freePort, type NatsServer, startNatsServer } from "../support/nats-server.ts";
import { clusterFlags, dumpLogs } from "../support/procs.ts";
import {
  buildImage,
  CONTAINER_TESTS,
  type Container,
  IMAGE,
  killContainer,
  podman,
  removeAll,
  startContainer,
  stopContainer,
} from "./podman.ts";

const STAGES = ["features", "binning", "scoring", "sampling", "assemble"] as const;
const DEMO = "/app/demo/cifar10-demo";
const ACK_WAIT_MS = 4000;
// ADQ, not the default CCS: the job goes through every stage process.
const FLAGS = ["--method", "adq-paper", "--ratio", "0.1", "--bins", "5", "--seed", "0"];
const TENANTS = { first: "container-key-first", second: "container-key-second" } as const;

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

async function waitServing(address: string, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      if ((await checkHealth(address, "", 1000)) === "SERVING") return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} at ${address} not SERVING within ${timeoutMs} ms (${String(last)})`);
}

describe.skipIf(!CONTAINER_TESTS)("container image (podman; slow; ADQ_CONTAINER_TESTS=0 skips)", () => {
  let nats: NatsServer;
  let gateway: Container;
  let gatewayAddress: string;
  const workers = new Map<string, Container>();
  let keysDir: string;
  let reference: Promise<Buffer>;

  const flags = () => clusterFlags(nats.url, ACK_WAIT_MS);

  const startStage = async (stage: string, env: Record<string, string> = {}): Promise<Container> => {
    const port = await freePort();
    const c = startContainer(
      `stage-${stage}`,
      ["serve", "--stage", stage, ...flags(), "--port", String(port)],
      {
        // Every model-running stage asks for CUDA: the CPU image must fall back (one log line).
        env: { ADQ_EXECUTION_PROVIDER: "cuda", ...env },
      },
    );
    await c.until(() => /listening on (\S+)/.exec(c.stdout)?.[1], 60_000, "'listening on' line");
    await waitServing(`127.0.0.1:${port}`, 30_000, `stage ${stage}`);
    workers.set(stage, c);
    return c;
  };

  /** submit → watch → result through the CLI, as a user would; returns the manifest bytes. */
  const runJob = async (key: string, onSubmitted?: (jobId: string) => Promise<void>): Promise<Buffer> => {
    const env = ["--server", gatewayAddress, "--api-key", key];
    const sub = await runCli(["submit", DEMO, ...FLAGS, ...env]);
    expect(sub.code, sub.stderr).toBe(0);
    const jobId = sub.stdout.trim();
    expect(jobId).toMatch(/\S/);
    const watch = runCli(["watch", jobId, ...env], { timeoutMs: 300_000 });
    await onSubmitted?.(jobId);
    const w = await watch;
    expect(w.code, w.stderr).toBe(0);
    const out = join(tmp("adq-ct-result-"), "out");
    const r = await runCli(["result", jobId, "--out", out, ...env]);
    expect(r.code, r.stderr).toBe(0);
    return readFileSync(join(out, "manifest.json"));
  };

  beforeAll(async () => {
    await buildImage();
    nats = await startNatsServer();
    // Two tenants: their stage caches are separate, so the second job recomputes every stage.
    keysDir = tmp("adq-ct-keys-");
    writeFileSync(
      join(keysDir, "keys.json"),
      JSON.stringify({
        tenants: [
          { id: "first", keys: [sha(TENANTS.first)] },
          { id: "second", keys: [sha(TENANTS.second)] },
        ],
      }),
    );
    chmodSync(keysDir, 0o755);
    // `adq compress` in the same image, same inputs: the reference bytes (runs meanwhile).
    const outDir = tmp("adq-ct-ref-");
    chmodSync(outDir, 0o777); // the image's user (10001) writes here
    const ref = startContainer(
      "compress",
      ["compress", DEMO, ...FLAGS, "--out", "/out/ref", "--cache-dir", "/tmp/cache", "--threads", "1"],
      {
        volumes: [`${outDir}:/out:rw`],
      },
    );
    reference = ref.exited.then(({ code }) => {
      if (code !== 0)
        throw new Error(`adq compress in the container failed (${code}):\n${ref.stderr.slice(-3000)}`);
      return readFileSync(join(outDir, "ref", "manifest.json"));
    });
    reference.catch(() => {});
    const port = await freePort();
    gatewayAddress = `127.0.0.1:${port}`;
    gateway = startContainer(
      "gateway",
      [
        "serve",
        ...flags(),
        "--no-workers",
        "--port",
        String(port),
        "--data-root",
        "/app/demo",
        "--api-keys",
        "/keys/keys.json",
      ],
      { volumes: [`${keysDir}:/keys:ro`] },
    );
    await gateway.until(() => /listening on (\S+)/.exec(gateway.stdout)?.[1], 60_000, "'listening on' line");
    await waitServing(gatewayAddress, 30_000, "gateway");
    for (const s of STAGES) await startStage(s, s === "features" ? { ADQ_TEST_TASK_DELAY_MS: "3000" } : {});
  }, 900_000);

  afterAll(async () => {
    dumpLogs();
    removeAll();
    await nats?.stop();
  });

  it("runs as uid 10001 with no dev dependencies and no tsx in the image", async () => {
    const user = (await podman(["image", "inspect", "--format", "{{.Config.User}}", IMAGE])).trim();
    expect(user).toBe("10001:10001");
    const probe = startContainer(
      "probe",
      [
        "-c",
        "id -u; ls /app/node_modules; touch /tmp/x && echo tmp-writable; touch /var/cache/adq/x 2>/dev/null || echo root-read-only; " +
          // sharp's linux-x64 binaries came along and work (the demo's small JPEGs take the
          // pure-JS fast path, so the job alone would not prove it).
          `node -e 'import("sharp").then((s) => s.default({ create: { width: 2, height: 2, channels: 3, background: "#fff" } }).png().toBuffer()).then((b) => console.log("sharp-ok", b.length > 0))'`,
      ],
      {
        extra: ["--entrypoint", "sh"],
      },
    );
    const { code } = await probe.exited;
    expect(code, probe.stderr).toBe(0);
    const lines = probe.stdout.split("\n");
    expect(lines[0]).toBe("10001");
    for (const dev of ["tsx", "typescript", "vitest", "esbuild", "@biomejs"])
      expect(lines).not.toContain(dev);
    expect(lines).toContain("onnxruntime-node");
    // /var/cache/adq belongs to 10001: only the read-only root file system stops the write.
    expect(lines).toContain("tmp-writable");
    expect(lines).toContain("root-read-only");
    expect(lines).toContain("sharp-ok true");
  });

  it("a job on the bundled demo gives the manifest of `adq compress` in the same image, byte for byte", async () => {
    const manifest = await runJob(TENANTS.first);
    expect(manifest.equals(await reference)).toBe(true);
    // The features container asked for CUDA and said once that it runs on CPU.
    const fallbacks = workers.get("features")!.find((l) => l.event === "execution_provider_fallback");
    expect(fallbacks).toHaveLength(1);
    expect(String(fallbacks[0]!.message)).toMatch(/cuda unavailable, falling back to cpu/);
  }, 600_000);

  it("a features container SIGKILLed mid-task is replaced and the job ends with the same bytes", async () => {
    let killedJob = "";
    const manifest = await runJob(TENANTS.second, async (jobId) => {
      killedJob = jobId;
      const old = workers.get("features")!;
      await old.waitForLog(
        (l) => l.event === "task_started" && l.job_id === jobId,
        120_000,
        "a features task of the job",
      );
      // Mid-task: the task (slowed by 3 s in this container) has not finished here.
      expect(old.find((l) => l.event === "task_finished" && l.job_id === jobId)).toHaveLength(0);
      await killContainer(old);
      expect(old.running).toBe(false);
      await startStage("features");
    });
    expect(manifest.equals(await reference)).toBe(true);
    // The replacement took over the killed task (redelivered after the ack wait).
    // The replacement took over the killed task: a redelivery (attempt ≥ 2) finished there.
    const took = workers
      .get("features")!
      .find((l) => l.event === "task_finished" && l.job_id === killedJob && l.outcome === "ok");
    expect(took.some((l) => Number(l.attempt) >= 2)).toBe(true);
  }, 600_000);

  it("SIGTERM (podman stop) drains and exits 0: node is PID 1 and handles it", async () => {
    // The entry point is exec'd: PID 1 is node itself (no shell in between to swallow SIGTERM).
    const cmdline = await podman(["exec", gateway.container, "cat", "/proc/1/cmdline"]);
    expect(cmdline.split("\0").slice(0, 2)).toEqual(["node", "/app/dist/adq.mjs"]);
    const stage = workers.get("binning")!;
    const s = await stopContainer(stage);
    expect(s.code, stage.stderr.slice(-2000)).toBe(0);
    expect(stage.stderr).toContain("adq serve: stage binning shutting down (SIGTERM)");
    const g = await stopContainer(gateway);
    expect(g.code, gateway.stderr.slice(-2000)).toBe(0);
    expect(gateway.stderr).toContain("adq serve: shutting down (SIGTERM)");
  }, 120_000);
});
