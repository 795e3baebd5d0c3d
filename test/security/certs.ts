// Test certificates made with the openssl CLI: two CAs, server certificates (good, wrong SAN,
// expired), client certificates (mTLS).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmp } from "../e2e/helpers.ts";

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export interface Pki {
  dir: string;
  /** CA file paths. */
  ca: string;
  otherCa: string;
  /** `{cert, key}` file paths. */
  server: { cert: string; key: string };
  wrongSan: { cert: string; key: string };
  expired: { cert: string; key: string };
  client: { cert: string; key: string };
  clientOfOtherCa: { cert: string; key: string };
}

export function makePki(): Pki {
  const dir = tmp("adq-pki-");
  /** A new RSA key `{name}.key` and a request with subject CN={name} (openssl req's arguments). */
  const newKey = (name: string) => [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-subj",
    `/CN=${name}`,
  ];
  const ca = (name: string) => {
    openssl([...newKey(name), "-x509", "-out", `${name}.pem`, "-days", "2"], dir);
    return join(dir, `${name}.pem`);
  };
  const leaf = (name: string, caName: string, ext: string, days: string) => {
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl([...newKey(name), "-out", `${name}.csr`], dir);
    openssl(
      [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        `${caName}.pem`,
        "-CAkey",
        `${caName}.key`,
        "-CAcreateserial",
        "-out",
        `${name}.pem`,
        "-days",
        days,
        "-extfile",
        `${name}.ext`,
      ],
      dir,
    );
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  };
  const serverExt = (san: string) => `subjectAltName=${san}\nextendedKeyUsage=serverAuth`;
  const pki = {
    dir,
    ca: ca("ca"),
    otherCa: ca("other-ca"),
  };
  return {
    ...pki,
    server: leaf("server", "ca", serverExt("DNS:localhost,IP:127.0.0.1"), "2"),
    wrongSan: leaf("wrong-san", "ca", serverExt("DNS:other.example"), "2"),
    expired: leaf("expired", "ca", serverExt("DNS:localhost,IP:127.0.0.1"), "-1"),
    client: leaf("client", "ca", "extendedKeyUsage=clientAuth", "2"),
    clientOfOtherCa: leaf("rogue-client", "other-ca", "extendedKeyUsage=clientAuth", "2"),
  };
}
