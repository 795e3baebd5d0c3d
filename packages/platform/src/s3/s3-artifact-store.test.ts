// S3ArtifactStore against a real S3 (SeaweedFS, test/support/s3-server.ts): the same contract
// as the filesystem and NATS Object Store adapters, each case in a fresh key prefix.
import type { S3Client } from "@aws-sdk/client-s3";
import { beforeAll } from "vitest";
import { useS3Server } from "../../../../test/support/s3-server.ts";
import { artifactStoreContract } from "../contract/artifact-store.contract.ts";
import { S3ArtifactStore } from "./s3-artifact-store.ts";

const s3 = useS3Server();
let client: S3Client;
let n = 0;

beforeAll(async () => {
  const srv = s3.server;
  client = srv.client();
  await srv.createBuckets("artifacts");
});

artifactStoreContract(
  "S3ArtifactStore (SeaweedFS)",
  async () => new S3ArtifactStore(client, "artifacts", `case-${++n}/`),
);
