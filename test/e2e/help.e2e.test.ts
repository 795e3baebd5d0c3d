// `adq <command> --help` prints that command's usage and exits 0 (a wrapper script or a CI step
// that probes a command must not see exit 2); `-h` too, and a `--help` after `--` is an argument.
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";

const COMMANDS = [
  "compress",
  "reconstruct",
  "eval",
  "serve",
  "submit",
  "watch",
  "result",
  "controller",
  "health",
];

describe("--help on every subcommand", () => {
  it.each(COMMANDS)("adq %s --help exits 0 with its usage", async (cmd) => {
    const r = await runCli([cmd, "--help"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`adq ${cmd}`);
  });

  it("-h works after other options; after -- it is not a help request", async () => {
    const h = await runCli(["compress", "--ratio", "0.1", "-h"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("compress options");
    const literal = await runCli(["reconstruct", "--", "--help"]);
    expect(literal.code).toBe(2);
  });
});
