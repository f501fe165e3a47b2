/**
 * A small, strict argument parser shared by every subcommand.
 *
 * - Options are declared up front (`OptionSpec`); an undeclared `--flag` is an error naming it.
 * - An option that takes a value always consumes the next token, even when it starts with "-",
 *   so negative numbers are ordinary values: `--positions -4096,0,4095`, `--relative -300:300`.
 *   `--name=value` works too.
 * - Values are parsed and validated here (number, integer, list of numbers), and errors name the flag,
 *   the constraint and the value. Nothing in the CLI parses numbers by hand.
 */
import { ExtraposError, show } from "../pe/errors.js";

export type OptionType = "string" | "number" | "int" | "boolean" | "numbers" | "ints";

export interface OptionSpec {
  /** Value type; "boolean" options take no value. */
  type: OptionType;
  /** One line for --help. */
  help: string;
  /** Placeholder in --help ("N", "FILE"). */
  metavar?: string;
  /** Default shown in --help (the command applies it). */
  default?: string;
  /** Allowed values for "string" options. */
  choices?: readonly string[];
}

export type OptionSpecs = Record<string, OptionSpec>;

export type ParsedValue = string | number | boolean | number[];

export interface ParsedArgs {
  /** Options by their long name without dashes (`seq-len`). */
  options: Map<string, ParsedValue>;
  /** Positional arguments, in order. */
  positionals: string[];
}

function usageError(message: string, hint?: string): ExtraposError {
  return new ExtraposError("invalid_argument", message, hint);
}

export function parseNumber(flag: string, raw: string, integer: boolean): number {
  const t = raw.trim();
  const v = t === "" ? NaN : Number(t);
  if (!Number.isFinite(v)) throw usageError(`--${flag} must be a finite number, got ${show(raw)}`);
  if (integer && !Number.isSafeInteger(v)) {
    throw usageError(Number.isInteger(v) ? `--${flag} must be an integer of at most 15 digits (|x| ≤ 2^53 − 1), got ${show(raw)}` : `--${flag} must be an integer, got ${show(raw)}`);
  }
  return v;
}

/** Most values a list option may hold (ranges included), so that a request is bounded before it is built. */
export const MAX_LIST_VALUES = 10_000_000;

/** "1,2,3" → [1,2,3]; "a:b" (integers) → a..b inclusive; both may be combined: "0,10:12". */
export function parseNumberList(flag: string, raw: string, integer: boolean): number[] {
  const out: number[] = [];
  for (const part of raw.split(",")) {
    const range = /^\s*(-?\d+)\s*:\s*(-?\d+)\s*$/.exec(part);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a) throw usageError(`--${flag} range ${show(part)} must have start ≤ end`);
      if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) throw usageError(`--${flag} range ${show(part)} must have integer ends of at most 15 digits`);
      if (out.length + (b - a + 1) > MAX_LIST_VALUES) throw usageError(`--${flag} holds more than ${MAX_LIST_VALUES.toLocaleString("en-US")} values`, "ask for fewer values (a range a:b counts b − a + 1)");
      for (let v = a; v <= b; v++) out.push(v);
    } else {
      if (out.length >= MAX_LIST_VALUES) throw usageError(`--${flag} holds more than ${MAX_LIST_VALUES.toLocaleString("en-US")} values`);
      out.push(parseNumber(flag, part, integer));
    }
  }
  return out;
}

/**
 * True when the user asked for help: `--help` or `-h` where an option may stand — not as the value of
 * another option (`--prompt --help` generates from the text "--help"), not after `--`.
 */
export function wantsHelp(argv: readonly string[], specs: OptionSpecs): boolean {
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === "--") return false;
    if (tok === "--help" || tok === "-h") return true;
    if (tok.startsWith("--") && !tok.includes("=")) {
      const spec = specs[tok.slice(2)];
      if (spec && spec.type !== "boolean") i++; // its value, whatever it looks like
    }
  }
  return false;
}

export function parseArgs(argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const options = new Map<string, ParsedValue>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!tok.startsWith("--") || tok === "--") {
      positionals.push(tok);
      continue;
    }
    const eq = tok.indexOf("=");
    const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(", ");
      throw usageError(`unknown option --${name}`, known ? `known options: ${known}` : undefined);
    }
    if (options.has(name)) throw usageError(`--${name} given more than once`);
    if (spec.type === "boolean") {
      if (eq >= 0) throw usageError(`--${name} takes no value, got ${show(tok.slice(eq + 1))}`);
      options.set(name, true);
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = tok.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw usageError(`--${name} needs a value${spec.metavar ? ` (${spec.metavar})` : ""}`);
      raw = argv[++i]!;
    }
    options.set(name, convert(name, spec, raw));
  }
  return { options, positionals };
}

function convert(name: string, spec: OptionSpec, raw: string): ParsedValue {
  switch (spec.type) {
    case "string":
      if (spec.choices && !spec.choices.includes(raw)) {
        throw usageError(`--${name} must be one of ${spec.choices.join(", ")}, got ${show(raw)}`);
      }
      return raw;
    case "number":
      return parseNumber(name, raw, false);
    case "int":
      return parseNumber(name, raw, true);
    case "numbers":
      return parseNumberList(name, raw, false);
    case "ints":
      return parseNumberList(name, raw, true);
    case "boolean":
      return true;
  }
}

/** Typed getters: they assume the option was declared with the matching type. */
export function getString(a: ParsedArgs, name: string): string | undefined {
  const v = a.options.get(name);
  return typeof v === "string" ? v : undefined;
}
export function getNumber(a: ParsedArgs, name: string): number | undefined {
  const v = a.options.get(name);
  return typeof v === "number" ? v : undefined;
}
export function getNumbers(a: ParsedArgs, name: string): number[] | undefined {
  const v = a.options.get(name);
  return Array.isArray(v) ? v : undefined;
}
export function getFlag(a: ParsedArgs, name: string): boolean {
  return a.options.get(name) === true;
}

/** Formats the option table for --help. */
export function formatOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `  --${name}${s.type === "boolean" ? "" : ` ${s.metavar ?? s.type.toUpperCase()}`}`;
    const extra = [s.choices ? `one of ${s.choices.join("|")}` : "", s.default !== undefined ? `default ${s.default}` : ""]
      .filter(Boolean)
      .join("; ");
    return [left, s.help + (extra ? ` (${extra})` : "")];
  });
  const w = Math.max(0, ...rows.map((r) => r[0]!.length)) + 2;
  return rows.map(([l, r]) => l!.padEnd(w) + r).join("\n");
}
