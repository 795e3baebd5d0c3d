import { expect } from "vitest";

/**
 * A property over `trials` random trials: `trial(fail, t)` calls `fail(why)` for each violation,
 * and one expect at the end wants none, so that a failing run lists every violating trial (as
 * `trial t: why`), not only the first. The trials draw from the caller's seeded Rng.
 */
export function expectNoViolations(
  trials: number,
  trial: (fail: (why: string) => void, t: number) => void,
): void {
  const bad: string[] = [];
  for (let t = 0; t < trials; t++) trial((why) => bad.push(`trial ${t}: ${why}`), t);
  expect(bad).toEqual([]);
}
