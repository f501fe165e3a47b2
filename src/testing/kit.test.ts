// The test kit can fail: a difference beyond the tolerance is reported with its index; finite differences
// recover known derivatives on float64 and float32 slots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose, maxAbsDiff } from "./assert-close.js";
import { dot, finiteDifference, numericGradient, slotOf } from "./finite-difference.js";

test("assertClose: abs + rel·|expected|, worst index named, equal NaN/Infinity pass, nested expected flattened", () => {
  assertClose("within", [1.001, 100.1], [1, 100], 1e-3, 1e-3);
  assert.throws(() => assertClose("beyond", [1, 2.5, 3.01], [1, 2, 3], 1e-3, 0), /beyond: index 1: got 2.5, expected 2/);
  assert.throws(() => assertClose("nan", [NaN], [1], 1, 1), /nan: index 0/);
  assert.throws(() => assertClose("length", [1], [1, 2], 0, 0), /length 1 ≠ expected 2/);
  assertClose("special", [NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity], 0, 0);
  assertClose("nested", Float64Array.of(1, 2, 3, 4), [[1, 2], [3, 4]], 0, 0);
  assert.equal(maxAbsDiff([1, 5], [2, 2]), 3);
});

test("finiteDifference: d(x³)/dx on a float64 slot, on a float32 slot (stored-step quotient), relative step; numericGradient", () => {
  const x = Float64Array.of(1.5, -2);
  assert.ok(Math.abs(finiteDifference(() => x[0]! ** 3, slotOf(x, 0), 1e-5) - 3 * 1.5 ** 2) < 1e-8);
  assert.equal(x[0], 1.5, "restored");
  const f = Float32Array.of(1000.1);
  const d = finiteDifference(() => f[0]! ** 3, slotOf(f, 0), 1e-3, { relative: true });
  assert.ok(Math.abs(d / (3 * f[0]! ** 2) - 1) < 1e-4, `${d}`);
  const g = numericGradient((v) => dot(v, v), x, 1e-6);
  assertClose("∇|x|²", g, [3, -4], 1e-8, 0);
});
