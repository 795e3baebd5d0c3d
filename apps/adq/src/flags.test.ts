import { describe, expect, it } from "vitest";
import { noPositionals, onePositional, parseCommand, switchFlags, valueFlags } from "./flags.ts";
import { UsageError } from "./output-dir.ts";

const FLAGS = { ...valueFlags("out", "seed"), ...switchFlags("force") };

describe("parseCommand", () => {
  it("reads value flags, switches and positionals", () => {
    const { values, positionals } = parseCommand(["job-1", "--out", "d", "--force", "--seed=3"], FLAGS);
    expect(values).toEqual({ out: "d", force: true, seed: "3" });
    expect(positionals).toEqual(["job-1"]);
  });

  it("refuses an unknown flag and a switch given a value", () => {
    expect(() => parseCommand(["--outt", "d"], FLAGS)).toThrow(
      expect.objectContaining({ code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" }),
    );
    expect(() => parseCommand(["--force=yes"], FLAGS)).toThrow(
      expect.objectContaining({ code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" }),
    );
  });
});

describe("positionals", () => {
  it("onePositional returns the one, and refuses none or two with the command's usage", () => {
    expect(onePositional(["a"], "takes one")).toBe("a");
    for (const bad of [[], ["a", "b"]]) {
      expect(() => onePositional(bad, "result takes one job id")).toThrow(UsageError);
      expect(() => onePositional(bad, "result takes one job id")).toThrow("result takes one job id");
    }
  });

  it("noPositionals refuses a stray argument with a usage error naming it", () => {
    expect(() => noPositionals("health", [])).not.toThrow();
    expect(() => noPositionals("health", ["x", "y"])).toThrow(
      new UsageError("health takes no positional arguments, got x"),
    );
  });
});
