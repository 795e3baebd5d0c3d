// A cluster process refuses a NATS server that lets anyone in, unless told --insecure-nats
// (issue 28): a real nats-server without authorization, the real `adq` binary.

import { NatsConnectError, openClusterPorts } from "@adq/cluster";
import { Logger } from "@adq/service-common";
import { MemorySink } from "@adq/service-common/testing";
import { describe, expect, it } from "vitest";
import { runCli } from "../e2e/cli.ts";
import { useNatsServer } from "../support/nats-server.ts";

const REFUSAL = /requires no authentication: .*--insecure-nats/;

describe("--insecure-nats (a NATS server without authentication)", () => {
  const nats = useNatsServer();

  it("adq serve --stage and adq serve --nats exit 1 naming the server and the flag", async () => {
    const url = nats.server.url;
    for (const args of [
      ["serve", "--stage", "features", "--nats", url, "--port", "0"],
      ["serve", "--nats", url, "--port", "0", "--no-workers"],
    ]) {
      const r = await runCli(args, { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(REFUSAL);
      expect(r.stderr).toContain(url);
    }
  }, 120_000);

  it("is a cluster flag: without --nats it is a usage error", async () => {
    const r = await runCli(["serve", "--insecure-nats", "--port", "0"], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--insecure-nats needs --nats/);
  }, 60_000);

  it("with insecureNats the ports open and a warning is logged", async () => {
    const sink = new MemorySink();
    await expect(
      openClusterPorts({ nats: nats.server.url, name: "adq-worker-features", log: new Logger(sink) }),
    ).rejects.toBeInstanceOf(NatsConnectError);
    const ports = await openClusterPorts({
      nats: nats.server.url,
      name: "adq-worker-features",
      insecureNats: true,
      log: new Logger(sink),
    });
    try {
      expect(ports.connected).toBe(true);
      expect(sink.records().some((l) => l.event === "nats_insecure")).toBe(true);
    } finally {
      await ports.close(2000);
    }
  });
});
