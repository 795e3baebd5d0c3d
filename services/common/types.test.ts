// The hand-written message types (types.ts) checked against the protos, so that drift fails
// here rather than in production: every exported type maps to a proto message or enum (or is
// listed as not one), every property is a field of its message (camelCase, as proto-loader
// hands it over) with a matching shape — scalars by type, 64-bit integers as Long, enums by
// their value names, messages by the mapped type, repeated as arrays, maps as Records — proto3
// `optional` fields are optional, oneof names are unions of the oneof's members, and every
// proto field that types.ts leaves out is listed in OMITTED below (a new proto field fails
// until it is spelled out or listed).
//
// types.ts is read with the TypeScript parser (types are erased at run time); the protos
// with @grpc/proto-loader and the services' loader options (proto.ts).

import { readdirSync, readFileSync } from "node:fs";
import * as protoLoader from "@grpc/proto-loader";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { LOADER_OPTIONS, PROTO_ROOT } from "./proto.ts";

// ---- the protos --------------------------------------------------------------------------

interface FieldDesc {
  name: string;
  label: string;
  type: string;
  typeName: string;
}
interface MessageDesc {
  name: string;
  field: FieldDesc[];
  nestedType: MessageDesc[];
  enumType: EnumDesc[];
  oneofDecl: Array<{ name: string }>;
  options: { mapEntry?: boolean } | null;
}
interface EnumDesc {
  name: string;
  value: Array<{ name: string }>;
}

const protoFiles = readdirSync(`${PROTO_ROOT}adq/v1`)
  .filter((f) => f.endsWith(".proto"))
  .map((f) => `adq/v1/${f}`);
const definition = protoLoader.loadSync([...protoFiles, "grpc/health/v1/health.proto"], LOADER_OPTIONS);

function lookup(fullName: string): { kind: "message"; desc: MessageDesc } | { kind: "enum"; desc: EnumDesc } {
  const entry = definition[fullName] as { format?: string; type?: unknown } | undefined;
  if (entry?.format?.includes("EnumDescriptorProto")) return { kind: "enum", desc: entry.type as EnumDesc };
  if (entry?.format?.includes("DescriptorProto")) return { kind: "message", desc: entry.type as MessageDesc };
  // A nested type: Parent.Child.
  const dot = fullName.lastIndexOf(".");
  const parent = dot > 0 ? lookup(fullName.slice(0, dot)) : undefined;
  const child = fullName.slice(dot + 1);
  if (parent?.kind === "message") {
    const e = parent.desc.enumType.find((x) => x.name === child);
    if (e) return { kind: "enum", desc: e };
    const m = parent.desc.nestedType.find((x) => x.name === child);
    if (m) return { kind: "message", desc: m };
  }
  throw new Error(`no proto type ${fullName}`);
}

/** The full name of a field's type, resolved like protoc: the message's scope outwards. */
function resolveTypeName(scope: string, typeName: string): string {
  const parts = scope.split(".");
  for (let i = parts.length; i >= 0; i--) {
    const candidate = [...parts.slice(0, i), typeName].join(".");
    try {
      lookup(candidate);
      return candidate;
    } catch {
      // try the enclosing scope
    }
  }
  throw new Error(`cannot resolve ${typeName} from ${scope}`);
}

const NUMBER_TYPES = new Set([
  "TYPE_DOUBLE",
  "TYPE_FLOAT",
  "TYPE_INT32",
  "TYPE_UINT32",
  "TYPE_SINT32",
  "TYPE_FIXED32",
  "TYPE_SFIXED32",
]);
const LONG_TYPES = new Set(["TYPE_INT64", "TYPE_UINT64", "TYPE_SINT64", "TYPE_FIXED64", "TYPE_SFIXED64"]);

// ---- the mapping -------------------------------------------------------------------------

/** Exported types whose proto counterpart does not have their name (default: adq.v1.<Name>). */
const MESSAGES: Record<string, string[]> = {
  Timestamp: ["google.protobuf.Timestamp"],
  Duration: ["google.protobuf.Duration"],
  // One shape for the requests that carry only a job id.
  JobIdRequest: ["adq.v1.GetJobRequest", "adq.v1.DeleteJobRequest", "adq.v1.GetResultRequest"],
};

const ENUMS: Record<string, string> = {
  JobStateName: "adq.v1.JobState",
  StageEnum: "adq.v1.Stage",
  StageStateName: "adq.v1.StageState",
  ErrorReasonName: "adq.v1.ErrorReason",
  DatasetFormatName: "adq.v1.DatasetFormat",
  MethodName: "adq.v1.Method",
  StoreCodecName: "adq.v1.StoreCodec",
  DiversityMethodName: "adq.v1.DiversityMethod",
  HealthStatus: "grpc.health.v1.HealthCheckResponse.ServingStatus",
};

/** Exported types that are no message or enum. */
const NOT_MESSAGES = new Set(["Long"]);

/**
 * Proto fields types.ts does not spell out (the services neither read nor write them).
 * Adding a field to a proto fails the test until it is added to types.ts or here.
 */
const OMITTED: Record<string, string[]> = {
  "adq.v1.ArtifactRef": ["tensor"],
  "adq.v1.ErrorDetails": ["badFilesReport"],
  "adq.v1.JobWarning": ["badFiles"],
};

// ---- types.ts ----------------------------------------------------------------------------

const TYPES_FILE = new URL("./types.ts", import.meta.url);
let source: ts.SourceFile = ts.createSourceFile(
  "types.ts",
  readFileSync(TYPES_FILE, "utf8"),
  ts.ScriptTarget.Latest,
  true,
);

type Decl = ts.InterfaceDeclaration | ts.TypeAliasDeclaration;
const exported = new Map<string, Decl>();
for (const st of source.statements) {
  if (!(ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st))) continue;
  if (st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) exported.set(st.name.text, st);
}

function protoNamesOf(tsName: string): string[] {
  return MESSAGES[tsName] ?? [`adq.v1.${tsName}`];
}

/** The members of `T` without `null`/`undefined`, and whether it is an array (`X[]`). */
function strip(node: ts.TypeNode): ts.TypeNode[] {
  if (ts.isParenthesizedTypeNode(node)) return strip(node.type);
  if (ts.isUnionTypeNode(node)) return node.types.flatMap(strip);
  if (ts.isLiteralTypeNode(node) && node.literal.kind === ts.SyntaxKind.NullKeyword) return [];
  if (node.kind === ts.SyntaxKind.UndefinedKeyword) return [];
  return [node];
}

function stringLiterals(nodes: ts.TypeNode[]): string[] | undefined {
  const out: string[] = [];
  for (const n of nodes) {
    if (!(ts.isLiteralTypeNode(n) && ts.isStringLiteral(n.literal))) return undefined;
    out.push(n.literal.text);
  }
  return out;
}

function refName(n: ts.TypeNode): string | undefined {
  return ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) ? n.typeName.text : undefined;
}

function enumValues(fullName: string): string[] {
  const t = lookup(fullName);
  if (t.kind !== "enum") throw new Error(`${fullName} is not an enum`);
  return t.desc.value.map((v) => v.name);
}

/** Problems of one value type against one (non-repeated view of a) proto field. */
function checkValue(where: string, node: ts.TypeNode, field: FieldDesc, scope: string): string[] {
  const parts = strip(node);
  const text = node.getText(source);
  if (field.type === "TYPE_STRING")
    return parts.length === 1 && parts[0]!.kind === ts.SyntaxKind.StringKeyword
      ? []
      : [`${where}: string field, typed ${text}`];
  if (field.type === "TYPE_BOOL")
    return parts.length === 1 && parts[0]!.kind === ts.SyntaxKind.BooleanKeyword
      ? []
      : [`${where}: bool field, typed ${text}`];
  if (NUMBER_TYPES.has(field.type))
    return parts.length === 1 && parts[0]!.kind === ts.SyntaxKind.NumberKeyword
      ? []
      : [`${where}: ${field.type} field, typed ${text} (want number)`];
  if (LONG_TYPES.has(field.type))
    return parts.length === 1 && refName(parts[0]!) === "Long"
      ? []
      : [`${where}: ${field.type} field, typed ${text} (want Long)`];
  if (field.type === "TYPE_BYTES")
    return parts.length === 1 && refName(parts[0]!) === "Uint8Array"
      ? []
      : [`${where}: bytes field, typed ${text} (want Uint8Array)`];
  const full = resolveTypeName(scope, field.typeName);
  if (field.type === "TYPE_ENUM") {
    const want = enumValues(full);
    const literals = stringLiterals(parts);
    if (literals)
      return sameSet(literals, want) ? [] : [`${where}: enum ${full} is ${want.join("|")}, typed ${text}`];
    const name = parts.length === 1 ? refName(parts[0]!) : undefined;
    return name && ENUMS[name] === full ? [] : [`${where}: enum ${full}, typed ${text}`];
  }
  if (field.type === "TYPE_MESSAGE") {
    if (parts.length !== 1) return [`${where}: message ${full}, typed ${text}`];
    const p = parts[0]!;
    if (ts.isTypeLiteralNode(p)) return checkMembers(where, p.members, full);
    const name = refName(p);
    if (name === "Record") {
      // Record<string, never>: an empty message.
      const msg = lookup(full);
      return msg.kind === "message" && msg.desc.field.length === 0
        ? []
        : [`${where}: ${full} is not empty, typed ${text}`];
    }
    return name && protoNamesOf(name).includes(full) && !ENUMS[name]
      ? []
      : [`${where}: message ${full}, typed ${text}`];
  }
  return [`${where}: unhandled proto type ${field.type}`];
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

/** Problems of an interface's (or an inline type's) members against one message. */
function checkMembers(where: string, members: ts.NodeArray<ts.TypeElement>, fullName: string): string[] {
  const t = lookup(fullName);
  if (t.kind !== "message") return [`${where}: ${fullName} is not a message`];
  const msg = t.desc;
  const fields = new Map(msg.field.map((f) => [f.name, f]));
  const optional = new Set(msg.oneofDecl.filter((o) => o.name.startsWith("_")).map((o) => o.name.slice(1)));
  const oneofs = new Set(msg.oneofDecl.filter((o) => !o.name.startsWith("_")).map((o) => o.name));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    if (!ts.isPropertySignature(m) || !m.type) {
      problems.push(`${where}: ${m.getText(source)} is not a plain property`);
      continue;
    }
    const name = m.name.getText(source);
    const at = `${where}.${name}`;
    seen.add(name);
    if (oneofs.has(name)) {
      const literals = stringLiterals(strip(m.type));
      if (!literals || literals.some((l) => !fields.has(l)))
        problems.push(`${at}: oneof ${name} of ${fullName} must be a union of its fields' names`);
      if (!m.questionToken)
        problems.push(`${at}: a oneof name is absent on outgoing messages: make it optional`);
      continue;
    }
    const field = fields.get(name);
    if (!field) {
      problems.push(`${at}: ${fullName} has no field ${name} (fields: ${[...fields.keys()].join(", ")})`);
      continue;
    }
    if (optional.has(name) && !m.questionToken)
      problems.push(`${at}: proto3 optional field: unset is undefined, so the property must be optional`);
    const parts = strip(m.type);
    const isMap = field.label === "LABEL_REPEATED" && mapEntry(fullName, field);
    if (isMap) {
      if (!(parts.length === 1 && refName(parts[0]!) === "Record"))
        problems.push(`${at}: map field, typed ${m.type.getText(source)} (want Record)`);
    } else if (field.label === "LABEL_REPEATED") {
      if (parts.length === 1 && ts.isArrayTypeNode(parts[0]!))
        problems.push(...checkValue(at, parts[0].elementType, field, fullName));
      else problems.push(`${at}: repeated field, typed ${m.type.getText(source)} (want an array)`);
    } else if (parts.some((p) => ts.isArrayTypeNode(p))) {
      problems.push(`${at}: not a repeated field, typed ${m.type.getText(source)}`);
    } else problems.push(...checkValue(at, m.type, field, fullName));
  }
  const omitted = new Set(OMITTED[fullName] ?? []);
  for (const f of fields.keys()) {
    if (seen.has(f) || omitted.has(f)) continue;
    problems.push(`${where}: ${fullName}.${f} is not in types.ts (spell it out, or list it in OMITTED)`);
  }
  return problems;
}

function mapEntry(scope: string, field: FieldDesc): boolean {
  if (field.type !== "TYPE_MESSAGE") return false;
  const t = lookup(resolveTypeName(scope, field.typeName));
  return t.kind === "message" && t.desc.options?.mapEntry === true;
}

// ---- the tests ---------------------------------------------------------------------------

describe("services/common/types.ts against proto/adq/v1", () => {
  it("reads the exports it checks (the parser sees types.ts)", () => {
    expect(exported.size).toBeGreaterThan(40);
    expect(exported.has("Job")).toBe(true);
    // Generated from the proto (npm run generate; test/proto/generated.test.ts): nothing to drift.
    expect(exported.has("CompressionParams")).toBe(false);
    expect(readFileSync(TYPES_FILE, "utf8")).toContain('from "./generated/adq/v1/CompressionParams.ts"');
  });

  it("maps every exported type to a proto message or enum", () => {
    const unmapped: string[] = [];
    for (const [name, decl] of exported) {
      if (NOT_MESSAGES.has(name)) continue;
      if (ENUMS[name]) {
        if (!ts.isTypeAliasDeclaration(decl)) unmapped.push(`${name}: an enum must be a union of its names`);
        continue;
      }
      for (const full of protoNamesOf(name)) {
        try {
          if (lookup(full).kind !== "message") unmapped.push(`${name}: ${full} is not a message`);
        } catch {
          unmapped.push(`${name}: no proto message ${full} (map it in MESSAGES, ENUMS or NOT_MESSAGES)`);
        }
      }
    }
    expect(unmapped).toEqual([]);
  });

  it("spells each enum with exactly the proto's value names", () => {
    const problems: string[] = [];
    for (const [name, full] of Object.entries(ENUMS)) {
      const decl = exported.get(name);
      if (!decl || !ts.isTypeAliasDeclaration(decl)) {
        problems.push(`${name}: not an exported type alias`);
        continue;
      }
      const literals = stringLiterals(strip(decl.type));
      const want = enumValues(full);
      if (!literals || !sameSet(literals, want)) problems.push(`${name}: want ${want.join(" | ")}`);
    }
    expect(problems).toEqual([]);
  });

  it("gives each message type the proto's field names and shapes", () => {
    const problems: string[] = [];
    for (const [name, decl] of exported) {
      if (NOT_MESSAGES.has(name) || ENUMS[name]) continue;
      if (!ts.isInterfaceDeclaration(decl)) {
        problems.push(`${name}: a message type must be an interface`);
        continue;
      }
      for (const full of protoNamesOf(name)) problems.push(...checkMembers(name, decl.members, full));
    }
    expect(problems).toEqual([]);
  });

  it("lists only omissions that are real proto fields not in types.ts", () => {
    const stale: string[] = [];
    for (const [full, names] of Object.entries(OMITTED)) {
      const t = lookup(full);
      const tsName = [...exported.keys()].find((n) => protoNamesOf(n).includes(full));
      const decl = tsName ? exported.get(tsName) : undefined;
      const spelled = new Set(
        decl && ts.isInterfaceDeclaration(decl) ? decl.members.map((m) => m.name?.getText(source)) : [],
      );
      for (const n of names) {
        if (t.kind !== "message" || !t.desc.field.some((f) => f.name === n))
          stale.push(`${full}.${n}: no such field`);
        else if (spelled.has(n)) stale.push(`${full}.${n}: spelled out in types.ts, remove it from OMITTED`);
      }
    }
    expect(stale).toEqual([]);
  });

  it("fails on drift (a field renamed, a scalar retyped, an enum value missing)", () => {
    const probe = ts.createSourceFile(
      "probe.ts",
      "interface P { uri: number; sha: string } type E = 'METHOD_ADQ' | 'METHOD_DQ';",
      ts.ScriptTarget.Latest,
      true,
    );
    const iface = probe.statements[0] as ts.InterfaceDeclaration;
    const alias = probe.statements[1] as ts.TypeAliasDeclaration;
    // Parsed from another file: check the members through their own source text.
    const problems = withSource(probe, () => checkMembers("P", iface.members, "adq.v1.ModelRef"));
    expect(problems.join("\n")).toMatch(/P\.uri: string field, typed number/);
    expect(problems.join("\n")).toMatch(/has no field sha/);
    expect(problems.join("\n")).toMatch(/ModelRef\.sha256 is not in types\.ts/);
    const literals = withSource(probe, () => stringLiterals(strip(alias.type)));
    expect(sameSet(literals!, enumValues("adq.v1.Method"))).toBe(false);
  });
});

/** Runs `fn` with `source` pointing at another parsed file (getText needs the right one). */
function withSource<T>(file: ts.SourceFile, fn: () => T): T {
  const saved = source;
  source = file;
  try {
    return fn();
  } finally {
    source = saved;
  }
}
