/**
 * The standard rich error model (https://google.aip.dev/193): a failed call's
 * `grpc-status-details-bin` trailer holds a serialized google.rpc.Status whose `details` are
 * google.rpc.ErrorInfo (always: reason, domain, metadata), BadRequest (field violations),
 * QuotaFailure, RetryInfo (only where retrying helps) and our own adq.v1.ErrorDetails, so
 * grpcurl, grpcio-status, Go's status.Details() and the Java StatusProto read them without
 * a copy of proto/, and our clients lose nothing.
 */
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import type { Duration, ErrorDetails, ErrorDetails__Output } from "./generated/index.ts";

/** The trailer every gRPC implementation reads the rich status from. */
export const STATUS_DETAILS_TRAILER = "grpc-status-details-bin";
/** ErrorInfo.domain: the service that produced the error (AIP-193). */
export const ERROR_DOMAIN = "adq.dev";

const TYPE_URL = "type.googleapis.com/";

let root: protobuf.Root | undefined;

function types(): protobuf.Root {
  if (root) return root;
  const ours = fileURLToPath(new URL("./proto/google/rpc/", import.meta.url));
  const api = fileURLToPath(new URL("../../proto/adq/v1/", import.meta.url));
  // google/protobuf/* imports resolve to protobufjs's bundled copies.
  const r = new protobuf.Root().loadSync(
    [`${ours}status.proto`, `${ours}error_details.proto`, `${api}common.proto`],
    { keepCase: false },
  );
  r.resolveAll();
  root = r;
  return r;
}

const t = (name: string) => types().lookupType(name);

// google.protobuf.Any is protobufjs's bundled copy, whose field keeps its proto name.
type Any = { type_url: string; value: Uint8Array };

function any(typeName: string, value: object): Any {
  const type = t(typeName);
  return { type_url: `${TYPE_URL}${typeName}`, value: type.encode(type.fromObject(value)).finish() };
}

function durationSeconds(d: Duration | null | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9;
}

/** How the loader hands a message over (LOADER_OPTIONS in proto.ts): the generated `__Output` shapes. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true };

/**
 * `value` (a message as sent: enums by name or number, 64-bit integers as numbers or strings,
 * fields left out) as a receiver sees it: the generated `__Output` shape, converted by the
 * schema (protobufjs fromObject → toObject with the loader's options), not by hand.
 */
export function asReceived<T>(typeName: string, value: object): T {
  const type = t(typeName);
  return type.toObject(type.fromObject(value), TO_OBJECT) as T;
}

/**
 * ErrorInfo.metadata: the machine-readable facts a caller branches on, as strings
 * (AIP-193: lowerCamelCase keys).
 */
function metadataOf(d: ErrorDetails__Output): Record<string, string> {
  const m: Record<string, string> = {};
  if (d.fieldViolations.length) m.field = d.fieldViolations[0]!.field;
  if (d.quota) {
    m.quota = d.quota.quota;
    m.limit = String(d.quota.limit);
    m.requested = String(d.quota.requested);
  }
  if (d.badFiles.length) m.badFile = d.badFiles[0]!.path;
  if (Number(d.badFilesTotal) > 0) m.badFilesTotal = d.badFilesTotal;
  if (d.taskKey) m.taskKey = d.taskKey;
  if (d.attempts) m.attempts = String(d.attempts);
  const correlation = /correlation id ([0-9a-f]+)/.exec(d.message)?.[1];
  if (correlation) m.correlationId = correlation;
  return m;
}

/**
 * google.rpc.Status for a failed call: `code` (the numeric gRPC status), `details` as above.
 * RetryInfo appears only when `details.retryAfter` is set (the caller decides where a retry
 * helps: UNAVAILABLE, ABORTED, a concurrent-jobs quota).
 */
export function encodeStatus(code: number, sent: ErrorDetails): Buffer {
  const details = asReceived<ErrorDetails__Output>("adq.v1.ErrorDetails", sent);
  const out = [
    any("google.rpc.ErrorInfo", {
      reason: details.reason.replace(/^ERROR_REASON_/, ""),
      domain: ERROR_DOMAIN,
      metadata: metadataOf(details),
    }),
  ];
  if (details.fieldViolations.length)
    out.push(any("google.rpc.BadRequest", { fieldViolations: details.fieldViolations }));
  if (details.quota)
    out.push(
      any("google.rpc.QuotaFailure", {
        violations: [
          {
            subject: "tenant",
            description: `${details.quota.quota}: limit ${details.quota.limit}, requested ${details.quota.requested}`,
            quotaId: details.quota.quota,
          },
        ],
      }),
    );
  if (durationSeconds(details.retryAfter) > 0)
    out.push(any("google.rpc.RetryInfo", { retryDelay: details.retryAfter }));
  out.push(any("adq.v1.ErrorDetails", sent));
  const status = t("google.rpc.Status");
  return Buffer.from(
    status.encode(status.fromObject({ code, message: details.message, details: out })).finish(),
  );
}

export interface DecodedStatus {
  code: number;
  message: string;
  /** Every detail by its full type name (e.g. "google.rpc.ErrorInfo"), as plain objects. */
  details: Array<{ type: string; value: Record<string, unknown> }>;
}

/** Decodes a `grpc-status-details-bin` value (details of unknown types are skipped). */
export function decodeStatus(bytes: Uint8Array): DecodedStatus {
  const status = t("google.rpc.Status");
  // The message itself, not toObject(): protobufjs turns an Any into its JSON "@type" form.
  const s = status.decode(bytes) as unknown as {
    code: number;
    message: string;
    details: Any[];
  };
  const details: DecodedStatus["details"] = [];
  for (const d of s.details) {
    const type = d.type_url.slice(d.type_url.lastIndexOf("/") + 1);
    const msg = types().lookup(type);
    if (!(msg instanceof protobuf.Type)) continue;
    details.push({ type, value: msg.toObject(msg.decode(d.value), TO_OBJECT) });
  }
  return { code: s.code, message: s.message, details };
}

/** The adq.v1.ErrorDetails inside a status trailer, if present. */
export function errorDetailsFromStatus(bytes: Uint8Array): ErrorDetails__Output | undefined {
  const d = decodeStatus(bytes).details.find((x) => x.type === "adq.v1.ErrorDetails");
  return d?.value as ErrorDetails__Output | undefined;
}
