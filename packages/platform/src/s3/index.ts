export { S3ArtifactStore } from "./s3-artifact-store.ts";
