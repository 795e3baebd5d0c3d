// A class that the keep ratio allocates no images (here a 3-image class at ρ = 0.1) with patch
// dropping on: the gateway's job succeeds and its summary shows 0 for that class, as the CLI does.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSlice } from "../e2e/helpers.ts";
import { startTestServer, type TestServer, watchToEnd } from "./helpers.ts";

describe("gateway: a class allocated zero images", () => {
  let t: TestServer;
  let data: string;
  beforeAll(async () => {
    data = demoSlice(3, 30);
    const small = join(data, readdirSync(data).sort()[2]!);
    for (const f of readdirSync(small).sort().slice(3)) rmSync(join(small, f));
    t = await startTestServer([data]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("succeeds with 0 for that class (ρ = 0.1, 3 bins, patches dropped)", async () => {
    const { job } = await t.acme.createJob({
      dataset: { uri: `file://${data}` },
      params: { ratio: 0.1, bins: 3, seed: 0, dropRatio: 0.25 },
    });
    const events = await watchToEnd(t.acme, job.id);
    const end = events.at(-1)?.terminal;
    expect(end?.error?.message ?? "").toBe("");
    expect(end?.state).toBe("JOB_STATE_SUCCEEDED");
    const result = await t.acme.getResult(job.id);
    expect(result.summary).toMatchObject({
      totalItems: "63",
      selectedItems: "6",
      classSelected: ["3", "3", "0"],
    });
  }, 120_000);
});
