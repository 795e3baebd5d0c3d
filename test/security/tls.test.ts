// gRPC TLS: good certificate, wrong CA, expired, wrong SAN (and --tls-server-name), plaintext
// against TLS, mTLS, certificate reload, and the refusal to serve plaintext off loopback.
import { copyFileSync } from "node:fs";
import {
  CompressionClient,
  clientSecurity,
  type ServerSecurity,
  serverSecurity,
  TlsConfigError,
} from "@adq/service-common";
import type { ClientTlsOptions } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../e2e/cli.ts";
import { tmp } from "../e2e/helpers.ts";
import { KEYS, startTestServer, type TestServer } from "../services/helpers.ts";
import { makePki, type Pki } from "./certs.ts";

let pki: Pki;

async function callAs(address: string, tls: ClientTlsOptions): Promise<"ok" | string> {
  const sec = clientSecurity(address, tls);
  const c = new CompressionClient(address, {
    apiKey: KEYS.acme,
    credentials: sec.credentials,
    channelOptions: sec.channelOptions,
    timeoutMs: 5000,
  });
  try {
    await c.listJobs({});
    return "ok";
  } catch (e) {
    return grpc.status[(e as grpc.ServiceError).code] ?? String(e);
  } finally {
    c.close();
  }
}

async function serve(sec: ServerSecurity): Promise<TestServer> {
  return startTestServer([tmp("adq-tls-root-")], tmp("adq-tls-cache-"), { credentials: sec.credentials });
}

beforeAll(() => {
  pki = makePki();
});

describe("gRPC over TLS", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await serve(
      serverSecurity("127.0.0.1:0", { tls: { certFile: pki.server.cert, keyFile: pki.server.key } }),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it("accepts a client trusting the server's CA", async () => {
    expect(await callAs(t.srv.address, { caFile: pki.ca })).toBe("ok");
  });
  it("a client trusting another CA fails the handshake", async () => {
    expect(await callAs(t.srv.address, { caFile: pki.otherCa })).toBe("UNAVAILABLE");
  });
  it("a plaintext client cannot talk to a TLS server", async () => {
    expect(await callAs(t.srv.address, { plaintext: true })).toBe("UNAVAILABLE");
  });
  it("the CLI client takes --tls-ca (and fails without it)", async () => {
    const out = `${tmp("adq-tls-out-")}/result`;
    const args = [
      "result",
      "job-00000000000000000042",
      "--out",
      out,
      "--server",
      t.srv.address,
      "--api-key",
      KEYS.acme,
    ];
    const ok = await runCli([...args, "--tls-ca", pki.ca], { timeoutMs: 60_000 });
    expect(ok.stderr).toContain("NOT_FOUND"); // the call went through the TLS channel
    const plain = await runCli(args, { timeoutMs: 60_000 });
    expect(plain.stderr).toContain("UNAVAILABLE");
    expect(plain.code).not.toBe(0);
  });
});

describe("certificates the client must refuse", () => {
  it("an expired server certificate", async () => {
    const t = await serve(
      serverSecurity("127.0.0.1:0", { tls: { certFile: pki.expired.cert, keyFile: pki.expired.key } }),
    );
    try {
      expect(await callAs(t.srv.address, { caFile: pki.ca })).toBe("UNAVAILABLE");
    } finally {
      await t.close();
    }
  });

  it("a certificate for another name, unless --tls-server-name names it", async () => {
    const t = await serve(
      serverSecurity("127.0.0.1:0", { tls: { certFile: pki.wrongSan.cert, keyFile: pki.wrongSan.key } }),
    );
    try {
      expect(await callAs(t.srv.address, { caFile: pki.ca })).toBe("UNAVAILABLE");
      expect(await callAs(t.srv.address, { caFile: pki.ca, serverName: "other.example" })).toBe("ok");
    } finally {
      await t.close();
    }
  });
});

describe("mutual TLS and reload", () => {
  it("with --tls-client-ca only clients with a certificate of that CA get in", async () => {
    const t = await serve(
      serverSecurity("127.0.0.1:0", {
        tls: { certFile: pki.server.cert, keyFile: pki.server.key, clientCaFile: pki.ca },
      }),
    );
    try {
      expect(await callAs(t.srv.address, { caFile: pki.ca })).toBe("UNAVAILABLE");
      expect(
        await callAs(t.srv.address, {
          caFile: pki.ca,
          certFile: pki.clientOfOtherCa.cert,
          keyFile: pki.clientOfOtherCa.key,
        }),
      ).toBe("UNAVAILABLE");
      expect(
        await callAs(t.srv.address, { caFile: pki.ca, certFile: pki.client.cert, keyFile: pki.client.key }),
      ).toBe("ok");
    } finally {
      await t.close();
    }
  });

  it("re-reads the certificate files when they change (a rotation)", async () => {
    const dir = tmp("adq-rotate-");
    const cert = `${dir}/tls.crt`;
    const key = `${dir}/tls.key`;
    copyFileSync(pki.wrongSan.cert, cert);
    copyFileSync(pki.wrongSan.key, key);
    const sec = serverSecurity("127.0.0.1:0", { tls: { certFile: cert, keyFile: key, reloadMs: 3_600_000 } });
    const t = await serve(sec);
    try {
      expect(await callAs(t.srv.address, { caFile: pki.ca })).toBe("UNAVAILABLE");
      // Half a rotation (new cert, old key) is not taken: the old pair keeps serving.
      copyFileSync(pki.server.cert, cert);
      sec.reload();
      expect(await callAs(t.srv.address, { caFile: pki.ca, serverName: "other.example" })).toBe("ok");
      copyFileSync(pki.server.key, key);
      sec.reload();
      expect(await callAs(t.srv.address, { caFile: pki.ca })).toBe("ok");
    } finally {
      await t.close();
    }
  });
});

describe("plaintext is explicit", () => {
  it("a server refuses a non-loopback address without TLS or --plaintext", () => {
    expect(() => serverSecurity("0.0.0.0:50051", {})).toThrow(TlsConfigError);
    expect(() => serverSecurity("10.1.2.3:50051", {})).toThrow(/--tls-cert/);
    expect(serverSecurity("0.0.0.0:50051", { plaintext: true }).mode).toBe("plaintext");
    expect(serverSecurity("127.0.0.1:50051", {}).mode).toBe("plaintext");
    expect(serverSecurity("[::1]:50051", {}).mode).toBe("plaintext");
  });

  it("adq serve --host 0.0.0.0 without TLS exits with a usage error", async () => {
    const r = await runCli(["serve", "--host", "0.0.0.0", "--port", "0"], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tls-cert <file> --tls-key <file>.*--plaintext/);
  });

  it("a client uses TLS towards a remote host by default and plaintext only when told", () => {
    expect(clientSecurity("adq.example.com:443").mode).toBe("tls");
    expect(clientSecurity("127.0.0.1:50051").mode).toBe("plaintext");
    expect(clientSecurity("adq.example.com:443", { plaintext: true }).mode).toBe("plaintext");
    expect(() => clientSecurity("x:1", { plaintext: true, caFile: pki.ca })).toThrow(TlsConfigError);
  });
});
