import { test } from "node:test";
import assert from "node:assert/strict";
import { learnedLookupBackward, learnedLookupForward, learnedTableInit } from "./learned.js";
import { randomizedPositions } from "./randomized.js";
import { Rng } from "./random.js";
import { assertClose } from "../testing/assert-close.js";
import { randomArray } from "./testing.js";

test("learned init: N(0, 0.02²) (sample mean/std within sampling error), reproducible by seed", () => {
  const t = learnedTableInit(512, 64, 7);
  let s = 0, s2 = 0;
  for (const v of t) { s += v; s2 += v * v; }
  const n = t.length, mean = s / n, std = Math.sqrt(s2 / n - mean * mean);
  assert.ok(Math.abs(mean) < 3 * 0.02 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(std - 0.02) < 0.02 * 0.01, `std ${std}`); // n = 32768: relative std error of std ≈ 0.4%
  assert.deepEqual(learnedTableInit(512, 64, 7), t);
  assert.notDeepEqual(learnedTableInit(512, 64, 8), t);
});

test("lookup returns rows; beyond the table: refuse (default) or clamp to the last row", () => {
  const table = Float64Array.from({ length: 12 }, (_, i) => i); // 4 positions × 3
  assertClose("values", learnedLookupForward(table, 4, 3, [2, 0]), [6, 7, 8, 0, 1, 2], 0, 0);
  assert.throws(() => learnedLookupForward(table, 4, 3, [4]), /position 4 is beyond the table of 4 positions/);
  assertClose("values", learnedLookupForward(table, 4, 3, [9], "clamp"), [9, 10, 11], 0, 0);
  assert.throws(() => learnedLookupForward(table, 4, 3, [-1], "clamp"), /integer ≥ 0/);
  assert.throws(() => learnedLookupForward(table, 5, 3, [0]), /`table` must hold 15 values/);
});

test("lookup backward is the scatter-add adjoint of the forward (⟨dOut, F(t)⟩ = ⟨B(dOut), t⟩)", () => {
  for (const [P, d, positions] of [[1, 1, [0]], [3, 17, [0, 2, 2, 1]], [5, 3, [4, 9, 0]]] as const) {
    const table = randomArray(P * d, 1), dOut = randomArray(positions.length * d, 2);
    const y = learnedLookupForward(table, P, d, positions, "clamp");
    const g = learnedLookupBackward(dOut, P, d, positions, "clamp");
    let lhs = 0, rhs = 0;
    for (let i = 0; i < y.length; i++) lhs += y[i]! * dOut[i]!;
    for (let i = 0; i < g.length; i++) rhs += g[i]! * table[i]!;
    assertClose("values", [lhs], [rhs], 1e-12, 1e-12);
  }
});

test("randomized positions: sorted, distinct, in range, reproducible by seed, all of [0, L) when N = L", () => {
  for (const [n, L] of [[1, 1], [5, 2048], [40, 40], [129, 300]] as const) {
    const a = randomizedPositions(n, L, new Rng(3));
    assert.equal(a.length, n);
    for (let i = 0; i < n; i++) {
      assert.ok(a[i]! >= 0 && a[i]! < L);
      if (i > 0) assert.ok(a[i]! > a[i - 1]!, "strictly increasing");
    }
    assert.deepEqual(randomizedPositions(n, L, new Rng(3)), a);
    if (n === L) assert.deepEqual(Array.from(a), Array.from({ length: L }, (_, i) => i));
  }
  assert.notDeepEqual(randomizedPositions(10, 2048, new Rng(1)), randomizedPositions(10, 2048, new Rng(2)));
  assert.throws(() => randomizedPositions(5, 4, new Rng(0)), /`n` must be ≤ maxLen/);
});

test("randomized positions are uniform: each of [0, L) is chosen with probability N/L", () => {
  const rng = new Rng(11), L = 20, n = 5, trials = 20000;
  const counts = new Array<number>(L).fill(0);
  for (let t = 0; t < trials; t++) for (const p of randomizedPositions(n, L, rng)) counts[p]!++;
  const expected = (trials * n) / L; // 5000, binomial sd ≈ 61
  for (const c of counts) assert.ok(Math.abs(c - expected) < 300, `count ${c} vs ${expected}`);
});
