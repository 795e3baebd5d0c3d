// gRPC server reflection (v1 and v1alpha) on the gateway's server: what grpcurl needs to
// list the services and describe them without a copy of proto/.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthService } from "../../services/common/health.ts";
import { apiPackageDefinition } from "../../services/common/proto.ts";
import { addReflection } from "../../services/common/reflection.ts";
import { bindServer } from "../../services/common/server.ts";
import { listServices, reflect } from "./reflection.ts";

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
    addReflection(server, [apiPackageDefinition()], ["adq.v1.CompressionService", "grpc.health.v1.Health"]);
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
    // The service's file first, then its dependency (google.protobuf.Duration / Timestamp…).
    expect(files.length).toBe(2);
    expect(files[0]!.includes(Buffer.from("CompressionService"))).toBe(true);
    expect(files[0]!.includes(Buffer.from("google_protobuf.proto"))).toBe(true); // declared dependency
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
    const byName = await reflect(address, { fileByFilename: "google_protobuf.proto" }, "v1alpha");
    expect(byName.fileDescriptorResponse?.fileDescriptorProto.length).toBe(1);
  });

  it("answers NOT_FOUND for unknown symbols and files", async () => {
    const r = await reflect(address, { fileContainingSymbol: "adq.v1.Nope" });
    expect(r.errorResponse?.errorCode).toBe(grpc.status.NOT_FOUND);
    const f = await reflect(address, { fileByFilename: "nope.proto" });
    expect(f.errorResponse?.errorCode).toBe(grpc.status.NOT_FOUND);
  });
});
