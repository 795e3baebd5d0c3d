import { resolve } from "node:path";
import { type ClientSecurity, clientSecurity, clientTlsFromEnv, TlsConfigError } from "@adq/service-common";
import { UsageError } from "./output-dir.ts";

/** The client TLS flags every command that dials a gateway takes (adq submit/watch/result, controller). */
export const CLIENT_TLS_OPTIONS = {
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-server-name": { type: "string" },
  plaintext: { type: "boolean" },
} as const;

export interface ClientTlsValues {
  "tls-ca"?: string | undefined;
  "tls-cert"?: string | undefined;
  "tls-key"?: string | undefined;
  "tls-server-name"?: string | undefined;
  plaintext?: boolean | undefined;
}

/**
 * Channel security for dialling `server` from the flags (and $ADQ_TLS_*): TLS unless the server
 * is on loopback or --plaintext is given (services/common/tls.ts); bad combinations are usage errors.
 */
export function clientSecurityFromFlags(server: string, values: ClientTlsValues): ClientSecurity {
  try {
    return clientSecurity(
      server,
      clientTlsFromEnv({
        ...(values["tls-ca"] ? { caFile: resolve(values["tls-ca"]) } : {}),
        ...(values["tls-cert"] ? { certFile: resolve(values["tls-cert"]) } : {}),
        ...(values["tls-key"] ? { keyFile: resolve(values["tls-key"]) } : {}),
        ...(values["tls-server-name"] ? { serverName: values["tls-server-name"] } : {}),
        ...(values.plaintext ? { plaintext: true } : {}),
      }),
    );
  } catch (e) {
    if (e instanceof TlsConfigError) throw new UsageError(e.message);
    throw e;
  }
}
