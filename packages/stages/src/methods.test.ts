import { describe, expect, it } from "vitest";
import { defaultModelRole, METHODS, methodFromProto, planJob } from "./methods.ts";
import type { Method } from "./outputs.ts";

const EUROSAT = { classes: ["AnnualCrop", "Forest"], size: 2, firstImage: [64, 64] as const };
const CIFAR = { classes: ["airplane", "ship"], size: 2, firstImage: [32, 32] as const };

describe("the method table and the job plan", () => {
  it("stages each method runs, with and without patch dropping", () => {
    const stages = (method: Method, drop: number) =>
      Object.entries(planJob({ method, drop }).stages)
        .filter(([, on]) => on)
        .map(([s]) => s);
    expect(stages("adq", 0)).toEqual(["features", "binning", "scoring", "sampling", "assemble"]);
    expect(stages("dq", 0)).toEqual(["features", "binning", "sampling", "assemble"]);
    // CCS fits its held-out head in the binning stage.
    expect(stages("ccs", 0)).toEqual(["features", "binning", "sampling", "assemble"]);
    expect(stages("random", 0)).toEqual(["sampling", "assemble"]);
    expect(stages("random", 0.25)).toEqual(["features", "sampling", "assemble"]);
    expect(planJob({ method: "random", drop: 0 }).model).toBe(false);
    expect(planJob({ method: "random", drop: 0.25 })).toMatchObject({ model: true, cam: true });
    expect(() => planJob({ method: "nope" as Method, drop: 0 })).toThrow(
      /must be one of adq, adq-paper, dq, random, ccs, got nope/,
    );
  });

  it("held-out difficulty: CCS always; a bin method only with adqBeta or adqStrata > 0", () => {
    const difficulty = (method: Method, adqBeta = 0, adqStrata = 0) =>
      planJob({ method, drop: 0, adqBeta, adqStrata }).difficulty;
    expect(difficulty("ccs")).toBe(true);
    expect(difficulty("adq-paper")).toBe(false);
    expect(planJob({ method: "adq-paper", drop: 0 }).difficulty).toBe(false);
    expect(difficulty("adq", 0.3)).toBe(true);
    expect(difficulty("dq", 0, 4)).toBe(true);
    expect(difficulty("random", 0.3, 4)).toBe(false);
    // The stages stay the method's: the head is fitted in the binning stage that bins anyway.
    expect(planJob({ method: "adq", drop: 0, adqBeta: 0.3 }).stages).toEqual(
      planJob({ method: "adq", drop: 0 }).stages,
    );
  });

  it("the default-model rule: CIFAR-like data gets the ResNet-20 unless the method needs a held-out model", () => {
    expect(defaultModelRole(METHODS["adq-paper"], CIFAR).role).toBe("cifar");
    expect(defaultModelRole(METHODS.dq, CIFAR).role).toBe("cifar");
    expect(defaultModelRole(METHODS.ccs, CIFAR)).toEqual({
      role: "general",
      reason: "CCS (coverage-centric) needs difficulty from a model that never trained on these images",
    });
    for (const m of ["adq", "adq-paper", "dq", "random"] as const)
      expect(defaultModelRole(METHODS[m], EUROSAT).role).toBe("general");
    expect(defaultModelRole(METHODS.dq, { ...CIFAR, firstImage: [28, 28] }).reason).toBe(
      "CIFAR-10 classes but 28×28 images, not 32×32",
    );
    // Only a job that needs a model gets a default.
    expect(planJob({ method: "random", drop: 0 }, CIFAR).defaultModel).toBeUndefined();
    expect(planJob({ method: "random", drop: 0.5 }, CIFAR).defaultModel?.role).toBe("cifar");
  });

  it("adq is ADQ's best measured variant (issue 34): held-out general backbone, β 0.3, 50 strata; adq-paper the paper's recipe", () => {
    // The rows as every surface reads them (params.ts withDefaults fills the defaults).
    expect(METHODS.adq).toMatchObject({ heldOutModel: true, defaults: { adqBeta: 0.3, adqStrata: 50 } });
    expect(METHODS["adq-paper"]).toMatchObject({ heldOutModel: false, fixed: { adqBeta: 0, adqStrata: 0 } });
    const adq = planJob({ method: "adq", drop: 0, ...METHODS.adq.defaults }, CIFAR);
    expect(adq.difficulty).toBe(true);
    expect(adq.defaultModel).toEqual({
      role: "general",
      reason: "ADQ (adaptive) needs difficulty from a model that never trained on these images",
    });
    const paper = planJob({ method: "adq-paper", drop: 0, ...METHODS["adq-paper"].fixed }, CIFAR);
    expect(paper).toMatchObject({ difficulty: false, defaultModel: { role: "cifar" } });
    expect(paper.stages).toEqual(adq.stages);
  });

  it("proto names: every method has one, and unset is CCS (common.proto)", () => {
    for (const m of Object.keys(METHODS) as Method[]) expect(methodFromProto(METHODS[m].proto)).toBe(m);
    expect(methodFromProto("METHOD_UNSPECIFIED")).toBe("ccs");
    expect(methodFromProto(undefined)).toBe("ccs");
    expect(methodFromProto("METHOD_NOPE")).toBeUndefined();
  });
});
