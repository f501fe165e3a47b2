/**
 * The test kit's comparison (test-only: not part of the published package; see package.json `files`).
 * One argument order everywhere: `assertClose(what, actual, expected, abs, rel)`.
 *
 * Example: `assertClose("logits", got, ref, 2e-5, 2e-5)` passes when |got[i] − ref[i]| ≤ 2e-5 + 2e-5·|ref[i]|
 * for every i; otherwise it fails naming the worst index, both values and the largest difference.
 */
import assert from "node:assert/strict";

/** Flattens nested number arrays (fixtures store matrices as nested lists). */
export function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

/**
 * Asserts |actual[i] − expected[i]| ≤ abs + rel·|expected[i]| for every i. Equal values pass (so do ±Infinity
 * against themselves, and NaN against NaN); `expected` may be nested arrays. The message names the worst index.
 */
export function assertClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number> | readonly unknown[], abs: number, rel: number): void {
  const e: ArrayLike<number> = Array.isArray(expected) ? flat(expected) : (expected as ArrayLike<number>);
  assert.equal(actual.length, e.length, `${what}: length ${actual.length} ≠ expected ${e.length}`);
  let worst = -1, worstExcess = -Infinity, maxDiff = 0;
  for (let i = 0; i < e.length; i++) {
    const a = actual[i]!, x = e[i]!;
    if (a === x || (Number.isNaN(a) && Number.isNaN(x))) continue;
    const d = Math.abs(a - x);
    const excess = Number.isNaN(d) ? Infinity : d - (abs + rel * Math.abs(x));
    if (!Number.isNaN(d) && d > maxDiff) maxDiff = d;
    if (excess > 0 && excess > worstExcess) { worst = i; worstExcess = excess; }
  }
  if (worst >= 0) {
    assert.fail(`${what}: index ${worst}: got ${actual[worst]}, expected ${e[worst]} (max |diff| ${maxDiff}, tolerance ${abs} + ${rel}·|expected|)`);
  }
}

/** max_i |a[i] − b[i]| (lengths must agree). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `lengths ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
