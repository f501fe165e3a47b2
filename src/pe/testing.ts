/**
 * Test helpers for src/pe (not exported from the package): fixtures, elementwise comparison, finite differences.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

/** Reads test/fixtures/pe/<name> (made by test/fixtures/pe/make_fixtures.py) from the repository root. */
export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/pe/${name}`, import.meta.url), "utf8")) as T;
}

/** Flattens nested number arrays. */
export function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

/**
 * Elementwise |a − e| ≤ abs + rel·|e|; on failure names the first bad index, both values and the max error.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number> | unknown[], tol: { abs?: number; rel?: number } = {}, label = "values"): void {
  const e = Array.isArray(expected) ? flat(expected) : Array.from(expected as ArrayLike<number>);
  const abs = tol.abs ?? 1e-12, rel = tol.rel ?? 1e-12;
  assert.equal(actual.length, e.length, `${label}: length ${actual.length} ≠ expected ${e.length}`);
  let worst = 0, bad = -1;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(actual[i]! - e[i]!);
    const ok = d <= abs + rel * Math.abs(e[i]!) || (Number.isNaN(actual[i]!) && Number.isNaN(e[i]!)) || actual[i] === e[i];
    if (d > worst) worst = d;
    if (!ok && bad < 0) bad = i;
  }
  assert.ok(bad < 0, `${label}: index ${bad}: got ${actual[bad]}, expected ${e[bad]} (max abs error ${worst})`);
}

/**
 * Central finite difference of a scalar function of one parameter: (f(x+h) − f(x−h))/(2h).
 * `set(v)` writes the parameter, `f()` evaluates the loss; the parameter is restored.
 */
export function finiteDiff(get: () => number, set: (v: number) => void, f: () => number, h = 1e-6): number {
  const x0 = get();
  set(x0 + h);
  const fp = f();
  set(x0 - h);
  const fm = f();
  set(x0);
  return (fp - fm) / (2 * h);
}

/** Σ a·b (the loss L = Σ bias · G whose gradient wrt the bias is G). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Deterministic pseudo-random values in [−1, 1) for test inputs (a tiny LCG; not the package's Rng on purpose). */
export function randomArray(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}
