// The CLI flags the Helm chart relies on, refused precisely when misused and failing closed:
// `adq health` (helm test), `adq controller --instance/--metrics-port`, and
// `--require-execution-provider` (GPU stages).
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("cluster CLI flags used by the chart", () => {
  it("adq health: exit 1 with one line when the server cannot be reached; usage errors exit 2", async () => {
    const port = await deadPort();
    const r = await runCli(["health", "--server", `127.0.0.1:${port}`, "--timeout-ms", "2000"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^adq health: 127\\.0\\.0\\.1:${port}: .+\\n$`));
    const bad = await runCli(["health", "--timeout-ms", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--timeout-ms must be a positive integer");
  });

  it("adq controller: --instance must be a label value, --metrics-port a port", async () => {
    const inst = await runCli(["controller", "--instance", "Team B", "--plaintext"]);
    expect(inst.code).toBe(2);
    expect(inst.stderr).toContain("--instance must be a Kubernetes label value");
    const port = await runCli(["controller", "--metrics-port", "70000", "--plaintext"]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("--metrics-port must be a port");
  });

  it("--require-execution-provider applies to stage processes only", async () => {
    const r = await runCli(["serve", "--require-execution-provider"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--require-execution-provider applies to a stage process (--stage) only");
  });
});
