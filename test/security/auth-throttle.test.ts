// Failed authentication is throttled per peer address and per key prefix (issue 28: 3,000
// wrong API keys at 819/s were neither slowed nor locked out): the throttle's arithmetic on a
// fake clock, then a real gateway answering a burst of wrong keys, with its metrics.
import { randomBytes } from "node:crypto";
import { DEFAULT_MODEL } from "@adq/cli";
import { startAllInOne } from "@adq/gateway";
import type { AllInOne } from "@adq/gateway/testing";
import { ApiKeyAuthenticator, CompressionClient, Logger, Registry } from "@adq/service-common";
import { AuthThrottle, hashApiKey, MemorySink, peerAddress } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice, tmp } from "../e2e/helpers.ts";
import { KEYS } from "../services/helpers.ts";

const status = (e: unknown) => (e as grpc.ServiceError).code;

describe("AuthThrottle (fake clock)", () => {
  it("allows `burst` failures per peer, then refuses every attempt until a token refills", () => {
    let t = 0;
    const th = new AuthThrottle({ burst: 3, refillPerSecond: 1, now: () => t });
    const peer = "10.0.0.1:5555";
    for (let i = 0; i < 3; i++) {
      th.check(peer, `guess-${i}-aaaaaaaa`);
      th.fail(peer, `guess-${i}-aaaaaaaa`, "unknown_key");
    }
    expect(() => th.check(peer, "valid-key-xxxxxxxx")).toThrow(/from this address: retry in 1 s/);
    // Another port of the same address is the same peer; another address is not.
    expect(() => th.check("10.0.0.1:6666", "x")).toThrow(/address/);
    expect(() => th.check("10.0.0.2:5555", "y")).not.toThrow();
    t += 1000;
    expect(() => th.check(peer, "valid-key-xxxxxxxx")).not.toThrow();
  });

  it("allows `burst` failures per key prefix across peers", () => {
    const th = new AuthThrottle({ burst: 2, refillPerSecond: 1, now: () => 0 });
    th.fail("ipv4:10.0.0.1:1", "acme1234-guess-1", "unknown_key");
    th.fail("ipv4:10.0.0.2:1", "acme1234-guess-2", "unknown_key");
    expect(() => th.check("ipv4:10.0.0.3:1", "acme1234-guess-3")).toThrow(/from this key prefix/);
    expect(() => th.check("ipv4:10.0.0.3:1", "other-prefix")).not.toThrow();
  });

  it("keeps at most maxEntries buckets (memory bounded whatever the number of peers)", () => {
    const th = new AuthThrottle({ maxEntries: 100, now: () => 0 });
    for (let i = 0; i < 10_000; i++)
      th.fail(`ipv4:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:1`, undefined, "missing");
    expect(th.size).toBeLessThanOrEqual(100);
  });

  it("peerAddress drops the port", () => {
    expect(peerAddress("127.0.0.1:40000")).toBe("127.0.0.1");
    expect(peerAddress("ipv4:127.0.0.1:40000")).toBe("127.0.0.1");
    expect(peerAddress("::ffff:10.1.2.3:40000")).toBe("10.1.2.3");
    // IPv6: grouped by /64, whichever way grpc-js spells it.
    expect(peerAddress("2001:db8:1:2:aaaa::1:40000")).toBe("2001:db8:1:2::/64");
    expect(peerAddress("[2001:db8:1:2:bbbb::7]:40000")).toBe("2001:db8:1:2::/64");
    expect(peerAddress("::1:40000")).toBe("0:0:0:0::/64");
    expect(peerAddress(undefined)).toBe("unknown");
  });
});

describe("a gateway under a burst of wrong API keys", () => {
  let srv: AllInOne;
  const registry = new Registry();
  const clients: CompressionClient[] = [];
  const client = (key: string) => {
    const c = new CompressionClient(srv.address, { apiKey: key });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    srv = await startAllInOne({
      address: "127.0.0.1:0",
      auth: new ApiKeyAuthenticator([{ id: "acme", keys: [hashApiKey(KEYS.acme)] }]),
      dataRoots: [demoSlice(2, 2)],
      cacheDir: tmp("adq-throttle-"),
      defaultModel: DEFAULT_MODEL,
      threads: 1,
      log: new Logger(new MemorySink()),
      metrics: registry,
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.close(2000);
  });

  it("3,000 wrong keys: about `burst` are looked up, the rest RESOURCE_EXHAUSTED; counted in metrics", async () => {
    const started = Date.now();
    const codes: number[] = [];
    // One client per key; grpc-js shares the connection between them (subchannel pool).
    for (let round = 0; round < 30; round++) {
      const guessers = Array.from(
        { length: 100 },
        () => new CompressionClient(srv.address, { apiKey: randomBytes(16).toString("hex") }),
      );
      codes.push(
        ...(await Promise.all(
          guessers.map((g) =>
            g.listJobs({}).then(
              () => grpc.status.OK,
              (e: unknown) => status(e),
            ),
          ),
        )),
      );
      for (const g of guessers) g.close();
    }
    const seconds = (Date.now() - started) / 1000;
    const unauth = codes.filter((c) => c === grpc.status.UNAUTHENTICATED).length;
    const throttled = codes.filter((c) => c === grpc.status.RESOURCE_EXHAUSTED).length;
    expect(codes).not.toContain(grpc.status.OK);
    // burst 20, then 1 a second while the burst lasts.
    expect(unauth).toBeGreaterThanOrEqual(20);
    expect(unauth).toBeLessThanOrEqual(20 + Math.ceil(seconds) + 1);
    expect(unauth + throttled).toBe(3000);
    // While throttled, even the right key from this address is refused (nothing is learnt)…
    await expect(client(KEYS.acme).listJobs({})).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: expect.stringMatching(/too many failed authentication attempts from this address/),
    });
    const text = await registry.render();
    expect(text).toMatch(new RegExp(`adq_auth_failures_total\\{reason="unknown_key"\\} ${unauth}\\b`));
    expect(text).toMatch(/adq_auth_throttled_total\{scope="peer"\} \d+/);
    // …and served again once a token is back (refused calls cost none).
    await new Promise((r) => setTimeout(r, 1100));
    expect((await client(KEYS.acme).listJobs({})).jobs).toEqual([]);
  }, 60_000);
});
