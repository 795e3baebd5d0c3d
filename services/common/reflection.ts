/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`, protos in ./proto/grpc/
 * reflection), so that grpcurl, grpcui or Postman can list a server's services and fetch
 * their descriptors without a copy of proto/. The FileDescriptorProtos come from
 * proto-loader's package definitions (every loaded file, serialized); a tiny protobuf wire
 * reader indexes their names, packages, dependencies and symbols.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { LOADER_OPTIONS } from "./proto.ts";

interface FileEntry {
  name: string;
  bytes: Buffer;
  deps: string[];
  /** Fully-qualified type names the file's fields and methods refer to. */
  refs: Set<string>;
}

type Field = { no: number; wire: number; int: number; bytes?: Buffer };

/** The fields of one protobuf message (length-delimited values as byte slices). */
function* fields(buf: Buffer): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error("truncated varint");
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { no, wire, int: varint() };
    else if (wire === 1) {
      pos += 8;
      yield { no, wire, int: 0 };
    } else if (wire === 2) {
      const len = varint();
      const bytes = buf.subarray(pos, pos + len);
      pos += len;
      yield { no, wire, int: len, bytes };
    } else if (wire === 5) {
      pos += 4;
      yield { no, wire, int: 0 };
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

function str(f: Field): string {
  return f.bytes ? f.bytes.toString("utf8") : "";
}

function nameOf(buf: Buffer): string {
  for (const f of fields(buf)) if (f.no === 1 && f.wire === 2) return str(f);
  return "";
}

/**
 * Symbols declared by a DescriptorProto (the message, its nested messages and enums), and
 * the type names its fields refer to.
 */
function messageSymbols(buf: Buffer, prefix: string, out: string[], refs: Set<string>): void {
  const name = prefix ? `${prefix}.${nameOf(buf)}` : nameOf(buf);
  out.push(name);
  for (const f of fields(buf)) {
    if (f.no === 2 && f.bytes) {
      // field: type_name (6)
      for (const g of fields(f.bytes)) if (g.no === 6 && g.bytes) refs.add(str(g).replace(/^\./, ""));
    }
    if (f.no === 3 && f.bytes) messageSymbols(f.bytes, name, out, refs); // nested_type
    if (f.no === 4 && f.bytes) out.push(`${name}.${nameOf(f.bytes)}`); // enum_type
  }
}

/** A length-delimited field, serialized (to append `dependency` entries to a file). */
function lengthDelimited(no: number, value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  return Buffer.concat([Buffer.from([...varint(no * 8 + 2), ...varint(bytes.length)]), bytes]);
}

export class ReflectionIndex {
  private readonly files = new Map<string, FileEntry>();
  private readonly bySymbol = new Map<string, string>();

  constructor(
    definitions: protoLoader.PackageDefinition[],
    readonly services: string[],
  ) {
    for (const def of definitions) {
      for (const value of Object.values(def)) {
        const protos = fileProtosOf(value);
        for (const bytes of protos) this.addFile(bytes);
      }
    }
    this.link();
  }

  /**
   * proto-loader's descriptors (protobufjs) hold one file per package and declare no
   * dependencies; clients need them to resolve cross-package types (google.protobuf.*):
   * derive them from the type references and append them to the serialized files.
   */
  private link(): void {
    for (const f of this.files.values()) {
      const deps = new Set(f.deps);
      for (const ref of f.refs) {
        const file = this.bySymbol.get(ref);
        if (file && file !== f.name) deps.add(file);
      }
      const added = [...deps].filter((d) => !f.deps.includes(d)).sort();
      if (added.length === 0) continue;
      f.bytes = Buffer.concat([f.bytes, ...added.map((d) => lengthDelimited(3, d))]);
      f.deps.push(...added);
    }
  }

  private addFile(bytes: Buffer): void {
    let name = "";
    let pkg = "";
    const deps: string[] = [];
    const symbols: string[] = [];
    const refs = new Set<string>();
    const later: Field[] = [];
    for (const f of fields(bytes)) {
      if (f.no === 1) name = str(f);
      else if (f.no === 2) pkg = str(f);
      else if (f.no === 3) deps.push(str(f));
      else if ((f.no === 4 || f.no === 5 || f.no === 6) && f.bytes) later.push(f);
    }
    if (!name || this.files.has(name)) return;
    const join = (n: string) => (pkg ? `${pkg}.${n}` : n);
    for (const f of later) {
      if (f.no === 4) messageSymbols(f.bytes!, pkg, symbols, refs);
      else if (f.no === 5) symbols.push(join(nameOf(f.bytes!)));
      else if (f.no === 6) {
        const svc = join(nameOf(f.bytes!));
        symbols.push(svc);
        for (const m of fields(f.bytes!)) {
          if (m.no !== 2 || !m.bytes) continue;
          symbols.push(`${svc}.${nameOf(m.bytes)}`);
          // method: input_type (2), output_type (3)
          for (const g of fields(m.bytes))
            if ((g.no === 2 || g.no === 3) && g.bytes) refs.add(str(g).replace(/^\./, ""));
        }
      }
    }
    this.files.set(name, { name, bytes, deps, refs });
    for (const s of symbols) this.bySymbol.set(s.replace(/^\./, ""), name);
  }

  /** The file and its transitive dependencies, the file first. */
  private closure(name: string): Buffer[] | undefined {
    if (!this.files.has(name)) return undefined;
    const seen = new Set<string>();
    const order: string[] = [];
    const visit = (n: string) => {
      if (seen.has(n)) return;
      seen.add(n);
      order.push(n);
      for (const d of this.files.get(n)?.deps ?? []) visit(d);
    };
    visit(name);
    return order.filter((n) => this.files.has(n)).map((n) => this.files.get(n)!.bytes);
  }

  fileByName(name: string): Buffer[] | undefined {
    return this.closure(name);
  }

  fileContainingSymbol(symbol: string): Buffer[] | undefined {
    const file = this.bySymbol.get(symbol.replace(/^\./, ""));
    return file ? this.closure(file) : undefined;
  }

  fileNames(): string[] {
    return [...this.files.keys()].sort();
  }
}

function fileProtosOf(value: unknown): Buffer[] {
  const v = value as { fileDescriptorProtos?: Buffer[] } & Record<string, { requestType?: unknown }>;
  if (Array.isArray(v?.fileDescriptorProtos)) return v.fileDescriptorProtos;
  // A service: its methods carry the message definitions, which carry the files.
  for (const m of Object.values(v ?? {})) {
    const req = (m as { requestType?: { fileDescriptorProtos?: Buffer[] } })?.requestType;
    if (Array.isArray(req?.fileDescriptorProtos)) return req.fileDescriptorProtos;
  }
  return [];
}

interface ReflectionRequest {
  host?: string;
  fileByFilename?: string;
  fileContainingSymbol?: string;
  fileContainingExtension?: { containingType: string; extensionNumber: number };
  allExtensionNumbersOfType?: string;
  listServices?: string;
  messageRequest?: string;
}

let reflectionDefs: protoLoader.PackageDefinition | undefined;

function reflectionDefinition(): protoLoader.PackageDefinition {
  reflectionDefs ??= protoLoader.loadSync(
    ["grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto"],
    LOADER_OPTIONS,
  );
  return reflectionDefs;
}

export const REFLECTION_SERVICES = [
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

/** Client constructor of `grpc.reflection.<version>.ServerReflection` (tests, tools). */
export function reflectionClientConstructor(version: "v1" | "v1alpha" = "v1"): grpc.ServiceClientConstructor {
  const root = grpc.loadPackageDefinition(reflectionDefinition()) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  return root.grpc.reflection[version]!.ServerReflection;
}

function answer(index: ReflectionIndex, req: ReflectionRequest): Record<string, unknown> {
  const base = { validHost: req.host ?? "", originalRequest: req };
  const notFound = (what: string) => ({
    ...base,
    errorResponse: { errorCode: grpc.status.NOT_FOUND, errorMessage: `${what} not found` },
  });
  const files = (protos: Buffer[] | undefined, what: string) =>
    protos ? { ...base, fileDescriptorResponse: { fileDescriptorProto: protos } } : notFound(what);
  switch (req.messageRequest) {
    case "listServices":
      return { ...base, listServicesResponse: { service: index.services.map((name) => ({ name })) } };
    case "fileByFilename":
      return files(index.fileByName(req.fileByFilename ?? ""), `file ${req.fileByFilename}`);
    case "fileContainingSymbol":
      return files(
        index.fileContainingSymbol(req.fileContainingSymbol ?? ""),
        `symbol ${req.fileContainingSymbol}`,
      );
    case "fileContainingExtension":
      return notFound(`extension ${req.fileContainingExtension?.extensionNumber ?? ""}`); // proto3: none
    case "allExtensionNumbersOfType":
      return index.fileContainingSymbol(req.allExtensionNumbersOfType ?? "")
        ? {
            ...base,
            allExtensionNumbersResponse: { baseTypeName: req.allExtensionNumbersOfType, extensionNumber: [] },
          }
        : notFound(`type ${req.allExtensionNumbersOfType}`);
    default:
      return {
        ...base,
        errorResponse: { errorCode: grpc.status.INVALID_ARGUMENT, errorMessage: "empty reflection request" },
      };
  }
}

/**
 * Adds server reflection (v1 and v1alpha) to `server`, describing the files of
 * `definitions` and listing `services` (plus the reflection services themselves).
 */
export function addReflection(
  server: grpc.Server,
  definitions: protoLoader.PackageDefinition[],
  services: string[],
): ReflectionIndex {
  const refl = reflectionDefinition();
  const index = new ReflectionIndex([...definitions, refl], [...services, ...REFLECTION_SERVICES]);
  for (const version of ["v1", "v1alpha"] as const) {
    server.addService(reflectionClientConstructor(version).service, {
      ServerReflectionInfo: (call: grpc.ServerDuplexStream<ReflectionRequest, unknown>) => {
        call.on("data", (req: ReflectionRequest) => {
          let res: Record<string, unknown>;
          try {
            res = answer(index, req);
          } catch (e) {
            res = {
              validHost: req.host ?? "",
              originalRequest: req,
              errorResponse: { errorCode: grpc.status.INTERNAL, errorMessage: (e as Error).message },
            };
          }
          if (!call.writableEnded) call.write(res);
        });
        call.on("end", () => {
          if (!call.writableEnded) call.end();
        });
        call.on("error", () => {});
      },
    });
  }
  return index;
}
