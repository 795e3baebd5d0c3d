// The CCS strata reading of the quality benchmark (bench/quality/ccs-strata.ts): shares of the
// kept range, checked on hand-made strata.
import { describe, expect, it } from "vitest";
import { manifestShares, rangeShares } from "../../bench/quality/ccs-strata.ts";

describe("rangeShares", () => {
  it("groups equal-width strata into parts of the range and normalises population and budget", () => {
    const s = rangeShares({ strataSizes: [6, 2, 1, 1], strataCounts: [1, 1, 1, 1] }, 2);
    expect(s.population).toEqual([0.8, 0.2]);
    expect(s.budget).toEqual([0.5, 0.5]);
  });
  it("rejects mismatched strata and a bad number of parts", () => {
    expect(() => rangeShares({ strataSizes: [1, 2], strataCounts: [1] }, 2)).toThrow(RangeError);
    expect(() => rangeShares({ strataSizes: [1], strataCounts: [1] }, 0)).toThrow(/parts/);
  });
});

describe("manifestShares", () => {
  it("averages the classes' shares", () => {
    const s = manifestShares(
      {
        ccs: {
          score: "el2n-held-out",
          beta: 0.3,
          strata: 2,
          classes: [
            { pruned: 1, strataSizes: [3, 1], strataCounts: [1, 1] },
            { pruned: 1, strataSizes: [1, 1], strataCounts: [2, 0] },
          ],
        },
      },
      2,
    );
    expect(s.population).toEqual([0.625, 0.375]);
    expect(s.budget).toEqual([0.75, 0.25]);
  });
  it("names a manifest without a CCS block", () => {
    expect(() => manifestShares({}, 5)).toThrow(/no ccs block/);
    expect(() => manifestShares({}, Number.NaN)).toThrow(/parts must be an integer/);
  });
});
