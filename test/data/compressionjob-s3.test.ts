// A CompressionJob names object storage like any client: s3:// in (and WebDataset), s3:// out.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@adq/cli";
import type { CompressionJob } from "@adq/controller/testing";
import { createRequest } from "@adq/controller/testing";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";

type Schema = { properties: Record<string, Schema>; pattern?: string; enum?: string[] };

describe("CompressionJob with s3:// data and results", () => {
  const crd = yaml.load(
    readFileSync(join(REPO_ROOT, "charts/adq/files/crds/compressionjobs.adq.dev.yaml"), "utf8"),
  ) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec!;

  it("the CRD admits s3:// data sets, WebDataset and an s3:// output URI, and nothing looser", () => {
    const uri = new RegExp(spec.properties.dataset!.properties.uri!.pattern!);
    expect(uri.test("s3://acme-data/sets/cifar")).toBe(true);
    expect(uri.test("gs://x/y")).toBe(false);
    expect(spec.properties.dataset!.properties.format!.enum).toContain("webdataset");
    const out = new RegExp(spec.properties.output!.properties.uri!.pattern!);
    expect(out.test("s3://acme-data/results/run-1")).toBe(true);
    expect(out.test("file:///results")).toBe(false);
    expect(out.test("s3://Bad_Bucket/x")).toBe(false);
  });

  it("maps spec.output.uri to CreateJob outputs.uri and webdataset to its proto format", () => {
    const obj = {
      metadata: { namespace: "team-a", name: "j", uid: "u" },
      spec: {
        dataset: { uri: "s3://acme-data/shards-{000..009}.tar", format: "webdataset" },
        params: { ratio: 0.1 },
        output: { uri: "s3://acme-data/results/j" },
      },
    } as unknown as CompressionJob;
    const req = createRequest(obj);
    expect(req.dataset).toEqual({
      uri: "s3://acme-data/shards-{000..009}.tar",
      format: "DATASET_FORMAT_WEBDATASET",
    });
    expect(req.outputs).toEqual({
      reconstruct: false,
      keepIntermediates: false,
      uri: "s3://acme-data/results/j",
    });
    const plain = createRequest({ ...obj, spec: { ...obj.spec, output: {} } } as CompressionJob);
    expect(plain.outputs).toBeUndefined();
  });
});
