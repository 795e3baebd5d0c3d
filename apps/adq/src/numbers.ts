import { UsageError } from "./output-dir.ts";

// Plain decimal notation only: Number() would also read "0x1" as 1, "0b1" as 1, "" as 0 and
// "Infinity" as a number, none of which a user typing a ratio or a seed means.
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a command-line number written in decimal (`0.1`, `1e-3`, `-2`), naming the flag. */
export function decimalNumber(flag: string, v: string): number {
  const s = v.trim();
  const x = Number(s);
  if (!DECIMAL.test(s) || !Number.isFinite(x))
    throw new UsageError(`${flag} must be a decimal number, got ${JSON.stringify(v)}`);
  return x;
}

/** An integer in decimal digits (no sign tricks beyond one leading minus, no exponent). */
export const DECIMAL_INTEGER = /^-?\d+$/;

/** An optional number flag (`--<flag> <decimal>`): undefined when absent. */
export function float(flag: string, v: string | undefined): number | undefined {
  return v === undefined ? undefined : decimalNumber(`--${flag}`, v);
}
