// A stage worker with --data-root refuses forged tasks that point outside its roots.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { confineTaskPaths, realPaths } from "@adq/cluster/testing";
import { LocalBus, type TaskOutcome } from "@adq/platform";
import { afterEach, describe, expect, it } from "vitest";
import { tmp } from "../e2e/helpers.ts";

describe("task path confinement on stage workers", () => {
  const buses: LocalBus[] = [];
  afterEach(async () => {
    for (const b of buses.splice(0)) await b.close();
  });

  it("runs tasks under the roots; refuses others permanently, naming the field, without running them", async () => {
    const root = tmp("adq-worker-root-");
    const inside = join(root, "ds");
    mkdirSync(inside);
    const outside = tmp("adq-elsewhere-");
    symlinkSync(outside, join(root, "escape")); // a link out of the root does not count as inside
    const modelRoot = tmp("adq-models-");
    writeFileSync(join(modelRoot, "m.onnx"), "x");
    const stray = join(outside, "m.onnx");
    writeFileSync(stray, "x");
    const inner = new LocalBus();
    buses.push(inner);
    const bus = confineTaskPaths(inner, {
      dataRoots: await realPaths([root]),
      modelRoots: await realPaths([modelRoot]),
      modelFiles: [],
    });
    const ran: string[] = [];
    const outcomes = new Map<string, TaskOutcome>();
    bus.onOutcome((o) => outcomes.set(o.task.taskKey, o));
    bus.consume("features", async (task) => {
      ran.push(task.taskKey);
      return { ok: true };
    });
    const send = (taskKey: string, payload: unknown) =>
      bus.publishTask({ jobId: "job-1", stage: "features", taskKey, payload });
    await send("good", { dataset: { path: inside }, model: { file: join(modelRoot, "m.onnx") } });
    await send("outside", { dataset: { path: outside } });
    await send("via-link", { dataset: { path: join(root, "escape") } });
    await send("dotdot", { dataset: { path: `${inside}/../../${outside.split("/").pop()}` } });
    await send("model", { dataset: { path: inside }, model: { file: stray } });
    await send("no-paths", { prefix: "tenants/x/" });
    for (let i = 0; i < 200 && outcomes.size < 6; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ran.sort()).toEqual(["good", "no-paths"]);
    for (const k of ["outside", "via-link", "dotdot"]) {
      expect(outcomes.get(k)).toMatchObject({ ok: false, permanent: true });
      expect(outcomes.get(k)?.error).toMatch(/dataset\.path: .* is not under this worker's --data-root/);
    }
    expect(outcomes.get("model")?.error).toMatch(/^model\.file: /);
  });
});
