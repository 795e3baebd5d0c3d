/**
 * The commands' flag tables, declared by name, and their one parse. Every command reads its
 * arguments through `parseCommand` and checks its positionals with `onePositional` or
 * `noPositionals`, so a stray argument gets the command's own usage error (exit 2), never
 * node's parse error.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./output-dir.ts";

type FlagTable = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs options for flags that take a value: `--name <v>`. */
export function valueFlags<const K extends string>(...names: K[]): Record<K, { type: "string" }> {
  return Object.fromEntries(names.map((n) => [n, { type: "string" }])) as Record<K, { type: "string" }>;
}

/** parseArgs options for switches: `--name`. */
export function switchFlags<const K extends string>(...names: K[]): Record<K, { type: "boolean" }> {
  return Object.fromEntries(names.map((n) => [n, { type: "boolean" }])) as Record<K, { type: "boolean" }>;
}

/** A command's flags (unknown ones refused) and its positionals, left to the command to check. */
export function parseCommand<const T extends FlagTable>(argv: string[], options: T) {
  return parseArgs({ args: argv, options, allowPositionals: true });
}

/** The one positional argument a command takes; `usage` is the error when there is not exactly one. */
export function onePositional(positionals: readonly string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(usage);
  return positionals[0]!;
}

/** Refuses any positional argument for a command that takes none. */
export function noPositionals(command: string, positionals: readonly string[]): void {
  if (positionals.length > 0)
    throw new UsageError(`${command} takes no positional arguments, got ${positionals[0]}`);
}
