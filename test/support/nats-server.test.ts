import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { findNatsServer, freePort, NATS_SERVER_MISSING, startNatsServer } from "./nats-server.ts";

describe("test/support nats-server", () => {
  it("explains how to install nats-server when the binary is missing", async () => {
    await expect(startNatsServer({ binary: "/nonexistent/nats-server" })).rejects.toThrow(
      NATS_SERVER_MISSING,
    );
    expect(() => findNatsServer("/nonexistent/nats-server")).toThrow(
      /install the Debian package nats-server/,
    );
  });

  it("hands out free ports", async () => {
    const p = await freePort();
    expect(p).toBeGreaterThan(0);
  });

  it("starts with JetStream, restarts on the same port and store, survives a kill", async () => {
    const server = await startNatsServer();
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      const jsOn = async () => {
        const nc = await connect({ servers: server.url, reconnect: false });
        const info = nc.info;
        await nc.close();
        return info?.jetstream;
      };
      expect(await jsOn()).toBe(true);
      await server.restart();
      expect(server.running).toBe(true);
      expect(await jsOn()).toBe(true);
      await server.kill();
      expect(server.running).toBe(false);
      await expect(connect({ servers: server.url, reconnect: false, timeout: 500 })).rejects.toThrow();
      await server.start();
      expect(await jsOn()).toBe(true);
    } finally {
      await server.stop();
    }
    expect(server.running).toBe(false);
  }, 30_000);
});
