/**
 * `adq health`: asks a server's grpc.health.v1 service whether it is SERVING (the chart's
 * `helm test` runs it against the gateway, over TLS/mTLS like any client). Exit 0 when it is,
 * 1 when it answers anything else or cannot be reached within --timeout-ms.
 */
import { healthClientConstructor } from "@adq/service-common";
import type * as grpc from "@grpc/grpc-js";
import { CLIENT_TLS_OPTIONS, clientSecurityFromFlags } from "./client-tls.ts";
import { noPositionals, parseCommand, valueFlags } from "./flags.ts";
import { DECIMAL_INTEGER } from "./numbers.ts";
import { UsageError } from "./output-dir.ts";

export const HEALTH_HELP = `  adq health [--server host:port] [--service name] [--timeout-ms 10000] [client TLS flags]
                                       exit 0 when the server's grpc.health.v1 answers SERVING
`;

const HEALTH_FLAGS = { ...valueFlags("server", "service", "timeout-ms"), ...CLIENT_TLS_OPTIONS };

export async function runHealth(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, HEALTH_FLAGS);
  noPositionals("health", positionals);
  const server = values.server ?? process.env.ADQ_SERVER ?? "127.0.0.1:50051";
  const t = values["timeout-ms"] ?? "10000";
  if (!DECIMAL_INTEGER.test(t.trim()) || Number(t) < 1)
    throw new UsageError(`--timeout-ms must be a positive integer, got ${JSON.stringify(t)}`);
  const sec = clientSecurityFromFlags(server, values);
  const Client = healthClientConstructor();
  const client = new Client(server, sec.credentials, sec.channelOptions) as unknown as grpc.Client & {
    check(
      req: { service: string },
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res?: { status: string }) => void,
    ): void;
  };
  try {
    const status = await new Promise<string>((resolve, reject) =>
      client.check({ service: values.service ?? "" }, { deadline: Date.now() + Number(t) }, (err, res) =>
        err ? reject(err) : resolve(String(res?.status)),
      ),
    );
    process.stdout.write(`${server}: ${status}\n`);
    return status === "SERVING" ? 0 : 1;
  } catch (e) {
    process.stderr.write(
      `adq health: ${server}: ${(e as grpc.ServiceError).details || (e as Error).message}\n`,
    );
    return 1;
  } finally {
    client.close();
  }
}
