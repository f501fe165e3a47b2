/**
 * Test helpers for src/pe (not exported from the package): fixtures and test inputs. Comparison and finite
 * differences: the test kit in src/testing/.
 */
import { readFileSync } from "node:fs";

/** Reads test/fixtures/pe/<name> (made by test/fixtures/pe/make_fixtures.py) from the repository root. */
export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/pe/${name}`, import.meta.url), "utf8")) as T;
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
