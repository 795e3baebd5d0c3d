import { describe, expect, it } from "vitest";
import { matchClasses } from "./class-match.ts";

const CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

describe("matchClasses", () => {
  it("matches the model's own classes, a subset of them, and spelling variants", () => {
    expect(matchClasses(CIFAR, CIFAR, 10)).toEqual({ match: true, map: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(matchClasses(["cat", "dog", "truck"], CIFAR, 10)).toEqual({ match: true, map: [3, 5, 9] });
    expect(matchClasses(["Air_Plane", "TRUCK"], CIFAR, 10)).toEqual({ match: true, map: [0, 9] });
  });

  it("reports a mismatch, with the reason, for other classes, missing names or a wrong count", () => {
    const euro = ["AnnualCrop", "Forest", "Highway", "Industrial"];
    const m = matchClasses(euro, CIFAR, 10);
    expect(m.match).toBe(false);
    expect(!m.match && m.reason).toMatch(
      /none of the data set's 4 classes \("AnnualCrop", "Forest", "Highway", …\)/,
    );
    const partial = matchClasses(["cat", "Forest"], CIFAR, 10);
    expect(!partial.match && partial.reason).toMatch(/^1 of the data set's 2 classes \("Forest"\) are not/);
    // Same count, no names: the model's classes cannot be known to be the data set's.
    expect(matchClasses(CIFAR, undefined, 10)).toMatchObject({ match: false, reason: /names no classes/ });
    expect(matchClasses(CIFAR, CIFAR, 12)).toMatchObject({ match: false, reason: /12 logits/ });
    expect(matchClasses(["a-b", "a_b"], ["ab", "cd"], 2)).toMatchObject({
      match: false,
      reason: /same model class/,
    });
  });
});
