// `adq serve` as a real process, driven by `adq submit / watch / result` as a user would.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashApiKey } from "@adq/service-common/testing";
import type { Manifest } from "@adq/stages";
import { describe, expect, it } from "vitest";
import { runCli } from "../e2e/cli.ts";
import { demoSlice, tmp, useServe } from "../support/index.ts";

const KEY = "cli-test-key";

describe("adq serve / submit / watch / result", () => {
  const serve = useServe(() => {
    const keys = join(tmp("adq-keys-"), "keys.json");
    writeFileSync(keys, JSON.stringify({ tenants: [{ id: "team-a", keys: [hashApiKey(KEY)] }] }));
    return { data: demoSlice(2, 12), args: ["--api-keys", keys] };
  });

  it("submits a job, watches it with progress bars, downloads the result atomically, then shuts down gracefully", async () => {
    const { server, address, data } = serve;
    const client = ["--server", address, "--api-key", KEY];
    const sub = await runCli([
      "submit",
      data,
      ...["--method", "adq-paper", "--ratio", "0.25", "--bins", "2", "--seed", "3"],
      ...client,
    ]);
    expect(sub.stderr).toBe("");
    expect(sub.code).toBe(0);
    const jobId = sub.stdout.trim();
    expect(jobId).toMatch(/^job-[0-9a-f]{20}$/);

    const watch = await runCli(["watch", jobId, ...client]);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toBe(`job ${jobId} succeeded: selected 6 of 24 images\n`);
    for (const stage of ["features", "binning", "scoring", "sampling", "assemble"])
      expect(watch.stderr).toContain(`${stage}: done`);

    const out = join(tmp("adq-result-"), "res");
    const res = await runCli(["result", jobId, "--out", out, ...client]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["bins.json", "manifest.json", "report.html", "store.adqp"]);
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
    expect(m.selected).toBe(6);
    expect(m.params).toMatchObject({ ratio: 0.25, bins: 2, seed: 3 });
    // No temp folder is left beside the result.
    expect(readdirSync(join(out, "..")).filter((f) => f.includes(".tmp-"))).toEqual([]);
    // A second download into the same non-empty folder needs --force.
    expect((await runCli(["result", jobId, "--out", out, ...client])).code).toBe(2);

    // Errors are one clean line with the status.
    const noKey = await runCli(["submit", data, "--server", address]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("API key");
    const badArg = await runCli(["submit", data, "--ratio", "2", ...client]);
    expect(badArg.code).toBe(2);
    expect(badArg.stderr).toBe("adq: INVALID_ARGUMENT: params.ratio: must be in (0, 1], got 2\n");

    expect((await server.stop()).code).toBe(0);
    expect(server.stderr).toContain("shutting down");
    const logs = server.logs;
    expect(logs.some((l) => l.event === "job_succeeded" && l.job_id === jobId && l.tenant === "team-a")).toBe(
      true,
    );
    expect(logs.some((l) => l.event === "stopped" && l.graceful === true)).toBe(true);
  }, 90_000);
});
