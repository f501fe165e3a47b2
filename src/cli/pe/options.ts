/**
 * Typed getters for `extrapos pe` options that validate once and name the flag in every error
 * ("--heads must be an integer ≥ 1, got 0"; "--dim is required").
 */
import { invalid } from "../../pe/errors.js";
import { getNumber, getNumbers, getString, type OptionSpec, type ParsedArgs } from "../args.js";

export function required<T>(flag: string, v: T | undefined): T {
  if (v === undefined) throw invalid(`--${flag} is required`);
  return v;
}

/** An integer option in [min, max] (or its default when absent and a default is given). */
export function intOption(a: ParsedArgs, flag: string, min: number, fallback?: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = getNumber(a, flag) ?? fallback;
  const n = required(flag, v);
  if (n < min || n > max) throw invalid(`--${flag} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`}, got ${n}`);
  return n;
}

/** A number option > 0 (or > `min` exclusive). */
export function positiveOption(a: ParsedArgs, flag: string, fallback?: number, min = 0): number {
  const n = required(flag, getNumber(a, flag) ?? fallback);
  if (!(n > min)) throw invalid(`--${flag} must be a number > ${min}, got ${n}`);
  return n;
}

/** A list option; each value must satisfy `ok` (described by `what`). */
export function listOption(a: ParsedArgs, flag: string, ok: (v: number) => boolean, what: string, fallback?: number[]): number[] {
  const v = required(flag, getNumbers(a, flag) ?? fallback);
  if (v.length === 0) throw invalid(`--${flag} must list at least one value`);
  const bad = v.find((x) => !ok(x));
  if (bad !== undefined) throw invalid(`--${flag} values must be ${what}, got ${bad}`);
  return v;
}

export function stringOption<T extends string>(a: ParsedArgs, flag: string, fallback: T): T {
  return (getString(a, flag) ?? fallback) as T;
}

/** Options every `extrapos pe plot <method>` accepts besides the method's own. */
export const PLOT_OPTIONS: Record<string, OptionSpec> = {
  out: { type: "string", help: "output SVG file (written atomically)", metavar: "FILE" },
  "plot-range": { type: "int", help: "largest relative distance on the curve", metavar: "N", default: "depends on the method" },
  "log-x": { type: "boolean", help: "logarithmic distance axis (distance 0 is left out)" },
};
