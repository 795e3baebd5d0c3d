/** A one-shot server-reflection call (test helper). */

import { reflectionClientConstructor } from "@adq/service-common/testing";
import * as grpc from "@grpc/grpc-js";

export interface ReflectionResponse {
  listServicesResponse?: { service: Array<{ name: string }> };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
  messageResponse?: string;
}

export async function reflect(
  address: string,
  request: Record<string, unknown>,
  version: "v1" | "v1alpha" = "v1",
): Promise<ReflectionResponse> {
  const Ctor = reflectionClientConstructor(version);
  const client = new Ctor(address, grpc.credentials.createInsecure()) as grpc.Client &
    Record<
      string,
      (md?: grpc.Metadata, opts?: grpc.CallOptions) => grpc.ClientDuplexStream<unknown, unknown>
    >;
  try {
    const call = client.ServerReflectionInfo!(new grpc.Metadata(), { deadline: Date.now() + 10_000 });
    const res = new Promise<ReflectionResponse>((resolve, reject) => {
      call.once("data", (d) => resolve(d as ReflectionResponse));
      call.once("error", reject);
    });
    call.write(request);
    call.end();
    return await res;
  } finally {
    client.close();
  }
}

export async function listServices(address: string, version: "v1" | "v1alpha" = "v1"): Promise<string[]> {
  const r = await reflect(address, { listServices: "*" }, version);
  return (r.listServicesResponse?.service ?? []).map((s) => s.name).sort();
}
