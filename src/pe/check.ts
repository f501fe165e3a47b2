/**
 * Argument checks shared by the encodings. Each throws `ExtraposError` with one sentence naming the
 * field, the constraint and the value ("`heads` must be an integer ≥ 1, got 0").
 */
import { invalid, show } from "./errors.js";

/** Integer ≥ `min` (default 1). */
export function checkInt(name: string, v: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw invalid(`\`${name}\` must be an integer ${range}, got ${show(v)}`);
  }
  return v;
}

/** Finite number > 0. */
export function checkPositive(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || !(v > 0)) {
    throw invalid(`\`${name}\` must be a finite number > 0, got ${show(v)}`);
  }
  return v;
}

/** Any finite number. */
export function checkFinite(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw invalid(`\`${name}\` must be a finite number, got ${show(v)}`);
  return v;
}

/** A list of finite numbers (optionally integers); returns it as a Float64Array. */
export function checkPositions(name: string, v: ArrayLike<number>, integer = false): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x) || (integer && !Number.isInteger(x))) {
      throw invalid(`\`${name}[${i}]\` must be a finite ${integer ? "integer" : "number"}, got ${show(x)}`);
    }
    out[i] = x;
  }
  return out;
}

/** Typed-array length check: `name` must hold exactly `n` values (`shape` describes them). */
export function checkLength(name: string, a: ArrayLike<number>, n: number, shape: string): void {
  if (a.length !== n) throw invalid(`\`${name}\` must hold ${n} values (${shape}), got ${a.length}`);
}

/** One of a fixed set of strings. */
export function checkChoice<T extends string>(name: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw invalid(`\`${name}\` must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${show(v)}`);
  }
  return v as T;
}

/** Refuses keys of `obj` that are not in `known` (typed configs refuse unknown keys). */
export function checkKeys(where: string, obj: object, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw invalid(`unknown key \`${k}\` in ${where}`, `known keys: ${known.join(", ")}`);
  }
}

/** `0..n-1` as a Float64Array (the default position list). */
export function arange(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
