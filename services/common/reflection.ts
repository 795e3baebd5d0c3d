/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) from the maintained
 * `@grpc/reflection` package, so that grpcurl, grpcui or Postman can list a server's services
 * and describe them without a copy of proto/.
 *
 * The descriptors it serves are protoc's own (./proto/descriptors.binpb, made by
 * scripts/gen-protos.sh and checked against proto/ by it): real file names, `XxxEntry` map
 * entries, snake_case field names with their json names, and comments. proto-loader's
 * descriptors (protobufjs) get all of these wrong, and strict clients (Go, Java) reject them.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import protobuf from "protobufjs";
import { LOADER_OPTIONS } from "./proto.ts";

export const DESCRIPTOR_SET = fileURLToPath(new URL("./proto/descriptors.binpb", import.meta.url));

export const REFLECTION_SERVICES = [
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

let files: Buffer[] | undefined;

/** Each FileDescriptorProto of the committed FileDescriptorSet, serialized (field 1, repeated). */
export function descriptorFiles(): Buffer[] {
  if (files) return files;
  const reader = protobuf.Reader.create(readFileSync(DESCRIPTOR_SET));
  const out: Buffer[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) out.push(Buffer.from(reader.bytes()));
    else reader.skipType(tag & 7);
  }
  files = out;
  return out;
}

let reflectionDefs: protoLoader.PackageDefinition | undefined;

/** Client constructor of `grpc.reflection.<version>.ServerReflection` (tests, tools). */
export function reflectionClientConstructor(version: "v1" | "v1alpha" = "v1"): grpc.ServiceClientConstructor {
  reflectionDefs ??= protoLoader.loadSync(
    ["grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto"],
    LOADER_OPTIONS,
  );
  const root = grpc.loadPackageDefinition(reflectionDefs) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  return root.grpc.reflection[version]!.ServerReflection;
}

/**
 * Adds server reflection (v1 and v1alpha) to `server`, listing `services` (plus the
 * reflection services themselves) and describing every file of the descriptor set.
 */
export function addReflection(server: grpc.Server, services: string[]): void {
  const pkg = {
    descriptors: { fileDescriptorProtos: descriptorFiles() },
  } as unknown as protoLoader.PackageDefinition;
  new ReflectionService(pkg, { services: [...services, ...REFLECTION_SERVICES] }).addToServer(server);
}
