/**
 * Field checks shared by the scheme validators: one sentence naming field, constraint and value.
 *
 * Formula: none (validation helpers).
 * Paper: none.
 * Reference: HF `RotaryEmbeddingConfigMixin._validate_*_rope_parameters` (v5) states the constraints;
 *   HF only logs warnings, we throw.
 * Models: all.
 * Parameters: value, the field's display name, the bound.
 * Config keys: none.
 * Differences: every HF warning on a number becomes an ExtraposError.
 */
import { invalid, show } from "../../errors.js";

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** Finite number ≥ min. */
export function atLeast(v: unknown, min: number, name: string): number {
  if (!isNum(v) || v < min) throw invalid(`${name} must be a finite number ≥ ${min}, got ${show(v)}`);
  return v;
}

/** Finite number > 0. */
export function positive(v: unknown, name: string): number {
  if (!isNum(v) || v <= 0) throw invalid(`${name} must be a finite number > 0, got ${show(v)}`);
  return v;
}

/** Integer ≥ 1. */
export function positiveInt(v: unknown, name: string): number {
  if (!isNum(v) || !Number.isInteger(v) || v < 1) throw invalid(`${name} must be an integer ≥ 1, got ${show(v)}`);
  return v;
}

/** null, or a finite number > 0. */
export function optionalPositive(v: unknown, name: string): number | null {
  return v === null ? null : positive(v, name);
}

/** null, or a finite number (may be 0: HF treats 0 like unset). */
export function optionalFinite(v: unknown, name: string): number | null {
  if (v === null) return null;
  if (!isNum(v)) throw invalid(`${name} must be a finite number or null, got ${show(v)}`);
  return v;
}

/** A list of `length` finite numbers > 0. */
export function positiveList(v: unknown, length: number, name: string, hint?: string): number[] {
  if (!Array.isArray(v)) throw invalid(`${name} must be a list of numbers, got ${show(v)}`);
  if (v.length !== length) throw invalid(`${name} must have length ${length} (rotary dim / 2), got ${v.length}`, hint);
  const item = (i: number) => (name.endsWith("`") ? `${name.slice(0, -1)}[${i}]\`` : `${name}[${i}]`);
  v.forEach((x, i) => positive(x, item(i)));
  return v as number[];
}

/** Requires a current sequence length to be an integer ≥ 1 when given. */
export function seqLenOrUndefined(v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  return positiveInt(v, "`seqLen`");
}

/** The NTK exponent d/(d−2) needs d ≥ 4. */
export function rotaryDimAbove2(rotaryDim: number): void {
  if (rotaryDim < 4) throw invalid(`the rotary dim must be ≥ 4 for NTK base scaling (exponent d/(d−2)), got ${show(rotaryDim)}`);
}
