/**
 * TLS for the gRPC servers and clients.
 *
 * Servers: `--tls-cert`/`--tls-key` (PEM), optional `--tls-client-ca` (mutual TLS: a client
 * must present a certificate signed by it). The files are re-read when they change (polled
 * every `reloadMs`, default 10 s — cert-manager and kubelet rotate Secrets by replacing the
 * files); a new pair is taken only when it parses and matches (a half-written rotation keeps
 * the previous pair), so connections never see a broken certificate.
 *
 * Plaintext needs `--plaintext`, except on a loopback address (127.0.0.0/8, ::1, localhost),
 * which no other machine can reach: there the default stays plaintext so a laptop's
 * `adq serve` and the test suites need no certificates. Binding anything else without TLS
 * or `--plaintext` is refused at start-up.
 *
 * Clients: `--tls-ca` (trust this CA instead of the system roots), `--tls-cert`/`--tls-key`
 * (client certificate for mTLS), `--tls-server-name` (the name checked against the server
 * certificate's SAN when it differs from the dialled host), `--plaintext`; the environment
 * variables `ADQ_TLS_CA`, `ADQ_TLS_CERT`, `ADQ_TLS_KEY`, `ADQ_TLS_SERVER_NAME`,
 * `ADQ_PLAINTEXT=1` give the same. Without any of them a client speaks plaintext to a
 * loopback address and TLS (system roots) to anything else.
 */
import { readFileSync, statSync } from "node:fs";
import { createSecureContext } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "./log.ts";

export interface ServerTlsOptions {
  certFile: string;
  keyFile: string;
  /** Require client certificates signed by this CA (mTLS). */
  clientCaFile?: string;
  /** How often the files are checked for changes (ms). */
  reloadMs?: number;
}

export class TlsConfigError extends Error {
  override readonly name = "TlsConfigError";
}

/** True for an address no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The host part of `host:port` (IPv6 in brackets or not). */
export function hostOf(address: string): string {
  const i = address.lastIndexOf(":");
  const host = i > 0 && !address.endsWith("]") ? address.slice(0, i) : address;
  return host.replace(/^\[|\]$/g, "");
}

interface Pem {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
}

function readPem(o: ServerTlsOptions): Pem {
  const read = (f: string, what: string) => {
    try {
      return readFileSync(f);
    } catch (e) {
      throw new TlsConfigError(`${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const pem = {
    cert: read(o.certFile, "--tls-cert"),
    key: read(o.keyFile, "--tls-key"),
    ca: o.clientCaFile ? read(o.clientCaFile, "--tls-client-ca") : undefined,
  };
  try {
    // Parses the PEMs and checks that the key matches the certificate.
    createSecureContext({ cert: pem.cert, key: pem.key, ...(pem.ca ? { ca: pem.ca } : {}) });
  } catch (e) {
    // OpenSSL's message names the problem (e.g. "key values mismatch"), never the key.
    throw new TlsConfigError(`--tls-cert/--tls-key: ${(e as Error).message}`);
  }
  return pem;
}

function stamp(files: string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}

type IdentityListener = (u: { certificate: Buffer; privateKey: Buffer } | null) => void;
type CaListener = (u: { caCertificate: Buffer } | null) => void;

/** A grpc-js CertificateProvider that re-reads the files when they change. */
class ReloadingProvider {
  private pem: Pem;
  private seen: string;
  private readonly identity = new Set<IdentityListener>();
  private readonly cas = new Set<CaListener>();
  private timer: NodeJS.Timeout | undefined;
  private readonly files: string[];

  constructor(
    private readonly o: ServerTlsOptions,
    private readonly log: Logger | undefined,
  ) {
    this.files = [o.certFile, o.keyFile, ...(o.clientCaFile ? [o.clientCaFile] : [])];
    this.pem = readPem(o);
    this.seen = stamp(this.files);
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.o.reloadMs ?? 10_000);
    this.timer.unref();
  }

  private stopIfUnused(): void {
    if (this.identity.size === 0 && this.cas.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Re-reads the files if they changed; keeps the current pair if the new one is unusable. */
  check(): void {
    const now = stamp(this.files);
    if (now === this.seen) return;
    try {
      this.pem = readPem(this.o);
      this.seen = now;
      this.log?.info("tls_reloaded", { cert: this.o.certFile });
      for (const l of this.identity) l({ certificate: this.pem.cert, privateKey: this.pem.key });
      if (this.pem.ca) for (const l of this.cas) l({ caCertificate: this.pem.ca });
    } catch (e) {
      // Mid-rotation (cert written, key not yet): try again on the next tick.
      this.log?.warn("tls_reload_failed", { error: (e as Error).message });
    }
  }

  addIdentityCertificateListener(l: IdentityListener): void {
    this.identity.add(l);
    // After the caller has registered its own watcher (grpc-js adds it after this call).
    queueMicrotask(() => {
      if (this.identity.has(l)) l({ certificate: this.pem.cert, privateKey: this.pem.key });
    });
    this.start();
  }
  removeIdentityCertificateListener(l: IdentityListener): void {
    this.identity.delete(l);
    this.stopIfUnused();
  }
  addCaCertificateListener(l: CaListener): void {
    this.cas.add(l);
    queueMicrotask(() => {
      if (this.cas.has(l)) l(this.pem.ca ? { caCertificate: this.pem.ca } : null);
    });
    this.start();
  }
  removeCaCertificateListener(l: CaListener): void {
    this.cas.delete(l);
    this.stopIfUnused();
  }
}

export interface ServerSecurity {
  credentials: grpc.ServerCredentials;
  /** "tls", "mtls" or "plaintext", for the start-up line. */
  mode: "tls" | "mtls" | "plaintext";
  /** Re-reads the certificate files now if they changed (tests; the poll does it otherwise). */
  reload(): void;
}

/**
 * Server credentials for `address`: TLS (reloading) when `tls` is given; plaintext when
 * `plaintext` is set or the address is loopback; otherwise a TlsConfigError.
 */
export function serverSecurity(
  address: string,
  o: { tls?: ServerTlsOptions | undefined; plaintext?: boolean | undefined },
  log?: Logger,
): ServerSecurity {
  if (o.tls && o.plaintext) throw new TlsConfigError("--plaintext contradicts --tls-cert/--tls-key");
  if (o.tls) {
    const p = new ReloadingProvider(o.tls, log);
    const credentials = grpc.experimental.createCertificateProviderServerCredentials(
      // grpc-js names its parameters the other way round: identity first, then the CA.
      p as unknown as grpc.experimental.CertificateProvider,
      o.tls.clientCaFile ? (p as unknown as grpc.experimental.CertificateProvider) : null,
      Boolean(o.tls.clientCaFile),
    );
    return { credentials, mode: o.tls.clientCaFile ? "mtls" : "tls", reload: () => p.check() };
  }
  if (!o.plaintext && !isLoopbackHost(hostOf(address)))
    throw new TlsConfigError(
      `${address} is reachable from other machines: pass --tls-cert <file> --tls-key <file> (and --tls-client-ca <file> for mTLS), or --plaintext to serve without TLS (e.g. inside a service mesh that encrypts)`,
    );
  return { credentials: grpc.ServerCredentials.createInsecure(), mode: "plaintext", reload: () => {} };
}

export interface ClientTlsOptions {
  /** PEM file of the CA to trust (default: the system roots). */
  caFile?: string | undefined;
  /** Client certificate and key (mTLS). */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Name checked against the server certificate (default: the dialled host). */
  serverName?: string | undefined;
  plaintext?: boolean | undefined;
}

/** Client TLS settings from the environment (`ADQ_TLS_*`, `ADQ_PLAINTEXT`), overridden by `o`. */
export function clientTlsFromEnv(o: ClientTlsOptions = {}, env = process.env): ClientTlsOptions {
  const pick = (v: string | undefined, e: string | undefined) => v ?? (e === "" ? undefined : e);
  return {
    caFile: pick(o.caFile, env.ADQ_TLS_CA),
    certFile: pick(o.certFile, env.ADQ_TLS_CERT),
    keyFile: pick(o.keyFile, env.ADQ_TLS_KEY),
    serverName: pick(o.serverName, env.ADQ_TLS_SERVER_NAME),
    plaintext: o.plaintext ?? (env.ADQ_PLAINTEXT === "1" || env.ADQ_PLAINTEXT === "true"),
  };
}

export interface ClientSecurity {
  credentials: grpc.ChannelCredentials;
  channelOptions: grpc.ChannelOptions;
  mode: "tls" | "mtls" | "plaintext";
}

/** Channel credentials for dialling `address` with `o` (see the module comment for defaults). */
export function clientSecurity(address: string, o: ClientTlsOptions = {}): ClientSecurity {
  const anyTls = o.caFile || o.certFile || o.keyFile || o.serverName;
  if (o.plaintext && anyTls)
    throw new TlsConfigError("--plaintext contradicts --tls-ca/--tls-cert/--tls-key/--tls-server-name");
  if (Boolean(o.certFile) !== Boolean(o.keyFile))
    throw new TlsConfigError("--tls-cert and --tls-key go together (the client certificate and its key)");
  if (o.plaintext || (!anyTls && isLoopbackHost(hostOf(address))))
    return { credentials: grpc.credentials.createInsecure(), channelOptions: {}, mode: "plaintext" };
  const read = (f: string, what: string) => {
    try {
      return readFileSync(f);
    } catch (e) {
      throw new TlsConfigError(`${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const ca = o.caFile ? read(o.caFile, "--tls-ca") : null;
  const key = o.keyFile ? read(o.keyFile, "--tls-key") : null;
  const cert = o.certFile ? read(o.certFile, "--tls-cert") : null;
  const channelOptions: grpc.ChannelOptions = o.serverName
    ? { "grpc.ssl_target_name_override": o.serverName, "grpc.default_authority": o.serverName }
    : {};
  return {
    credentials: grpc.credentials.createSsl(ca, key, cert),
    channelOptions,
    mode: cert ? "mtls" : "tls",
  };
}
