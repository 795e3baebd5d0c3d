// gRPC server reflection (v1 and v1alpha) on the gateway's server: what grpcurl needs to
// list the services and describe them without a copy of proto/.

import { addReflection, bindServer, HealthService } from "@adq/service-common";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listServices, reflect } from "./reflection.ts";

const { FileDescriptorProto } = descriptor;

function descriptorSet(files: Buffer[]): Buffer {
  // FileDescriptorSet { repeated FileDescriptorProto file = 1; }
  return Buffer.concat(
    files.flatMap((f) => {
      const len: number[] = [];
      let n = f.length;
      while (n > 0x7f) {
        len.push((n & 0x7f) | 0x80);
        n = Math.floor(n / 128);
      }
      len.push(n);
      return [Buffer.from([0x0a, ...len]), f];
    }),
  );
}

describe("gRPC server reflection", () => {
  let server: grpc.Server;
  let address: string;

  beforeAll(async () => {
    server = new grpc.Server();
    new HealthService(["adq.v1.CompressionService"]).addTo(server);
    addReflection(server, ["adq.v1.CompressionService", "grpc.health.v1.Health"]);
    address = `127.0.0.1:${await bindServer(server, "127.0.0.1:0")}`;
  });
  afterAll(() => server?.forceShutdown());

  it("lists the services (v1 and v1alpha)", async () => {
    const expected = [
      "adq.v1.CompressionService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ];
    expect(await listServices(address)).toEqual(expected);
    expect(await listServices(address, "v1alpha")).toEqual(expected);
  });

  it("returns self-contained descriptors for a symbol, a method, a message and a file name", async () => {
    const r = await reflect(address, { fileContainingSymbol: "adq.v1.CompressionService" });
    const files = r.fileDescriptorResponse!.fileDescriptorProto;
    // protoc's descriptors: the real file names, the service's file first, then its imports.
    expect(files.length).toBeGreaterThanOrEqual(4);
    const names = files.map((f) => (FileDescriptorProto.decode(f) as unknown as { name: string }).name);
    expect(names[0]).toBe("adq/v1/compression_service.proto");
    expect(names).toEqual(
      expect.arrayContaining([
        "adq/v1/common.proto",
        "google/protobuf/duration.proto",
        "google/protobuf/timestamp.proto",
      ]),
    );
    // A map field's entry is `LabelsEntry` (strict tools such as grpcurl reject anything else).
    const svcFile = FileDescriptorProto.decode(files[0]!) as unknown as {
      messageType: Array<{
        name: string;
        nestedType: Array<{ name: string; options?: { mapEntry?: boolean } }>;
        field: Array<{ name: string; jsonName: string }>;
      }>;
    };
    const create = svcFile.messageType.find((m) => m.name === "CreateJobRequest")!;
    expect(create.nestedType.map((n) => [n.name, n.options?.mapEntry])).toEqual([["LabelsEntry", true]]);
    expect(create.field.map((f) => f.name)).toContain("idempotency_key");
    expect(create.field.find((f) => f.name === "idempotency_key")?.jsonName).toBe("idempotencyKey");
    const def = protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet(files), {});
    const svc = (
      grpc.loadPackageDefinition(def) as unknown as {
        adq: { v1: { CompressionService: grpc.ServiceClientConstructor } };
      }
    ).adq.v1.CompressionService;
    expect(Object.keys(svc.service)).toContain("CreateJob");
    expect(Object.keys(svc.service)).toContain("WatchJob");

    for (const symbol of ["adq.v1.CompressionService.GetJob", "adq.v1.Job", "grpc.health.v1.Health"]) {
      const x = await reflect(address, { fileContainingSymbol: symbol });
      expect(x.fileDescriptorResponse?.fileDescriptorProto.length, symbol).toBeGreaterThan(0);
    }
    const byName = await reflect(address, { fileByFilename: "google/protobuf/duration.proto" }, "v1alpha");
    expect(byName.fileDescriptorResponse?.fileDescriptorProto.length).toBe(1);
  });

  it("answers NOT_FOUND for unknown symbols and files", async () => {
    const r = await reflect(address, { fileContainingSymbol: "adq.v1.Nope" });
    expect(r.errorResponse?.errorCode).toBe(grpc.status.NOT_FOUND);
    const f = await reflect(address, { fileByFilename: "nope.proto" });
    expect(f.errorResponse?.errorCode).toBe(grpc.status.NOT_FOUND);
  });
});
