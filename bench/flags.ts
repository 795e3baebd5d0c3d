import { parseArgs } from "node:util";

/**
 * A benchmark's command line: `--name value` flags whose values are numbers, each defaulting to
 * `numbers[name]`, plus optional string flags named in `strings`. A value that is not a finite
 * number is an error naming its flag; an unknown flag is an error too (parseArgs's strict mode).
 */
export function benchFlags<N extends string, S extends string = never>(
  numbers: Record<N, number>,
  strings: readonly S[] = [],
  args: string[] = process.argv.slice(2),
): Record<N, number> & Partial<Record<S, string>> {
  const names = [...Object.keys(numbers), ...strings];
  const { values } = parseArgs({
    args,
    options: Object.fromEntries(names.map((k) => [k, { type: "string" as const }])),
  });
  const out: Record<string, number | string | undefined> = {};
  for (const [k, dflt] of Object.entries<number>(numbers)) {
    const v = values[k] as string | undefined;
    const x = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(x)) throw new RangeError(`--${k} must be a number, got ${v}`);
    out[k] = x;
  }
  for (const k of strings) out[k] = values[k] as string | undefined;
  return out as Record<N, number> & Partial<Record<S, string>>;
}
