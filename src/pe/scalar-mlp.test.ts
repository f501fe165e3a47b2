import { test } from "node:test";
import assert from "node:assert/strict";
import { evalReluMlpPieces, mlpInit, reluMlpPieces, scalarMlpEval, scalarMlpForward } from "./scalar-mlp.js";
import { Rng } from "./random.js";

const close = (what: string, a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what} [${i}]: ${a[i]} vs ${b[i]}`);
};

test("scalarMlpEval equals scalarMlpForward's output bit for bit (relu and silu, depths 2 and 3)", () => {
  const rng = new Rng(5);
  const x = Float64Array.from({ length: 257 }, () => rng.gaussian() * 3);
  for (const sizes of [[1, 32, 4], [1, 7, 5, 3]]) {
    for (const act of ["relu", "silu"] as const) {
      const layers = mlpInit(sizes, 11);
      assert.deepEqual(scalarMlpEval(layers, act, x), scalarMlpForward(layers, act, x).out, `${sizes} ${act}`);
    }
  }
});

test("ReLU MLP as linear pieces = the direct evaluation, inside pieces and exactly at every breakpoint", () => {
  for (const [seed, width, heads] of [[1, 32, 4], [2, 1, 1], [3, 17, 3]] as const) {
    const layers = mlpInit([1, width, heads], seed);
    const pw = reluMlpPieces(layers);
    assert.ok(pw.breaks.length <= width, "at most one breakpoint per hidden unit");
    const rng = new Rng(seed + 100);
    const x = [...Array.from({ length: 300 }, () => rng.gaussian() * 4), ...pw.breaks, 0, -1e9, 1e9];
    close(`width ${width}`, evalReluMlpPieces(pw, x), scalarMlpForward(layers, "relu", x).out, 1e-12);
  }
  // a unit with zero input weight is a constant: active iff its bias is positive
  const layers = mlpInit([1, 3, 2], 9);
  layers[0]!.weight[1] = 0;
  layers[0]!.bias[1] = 0.5;
  const x = [-3, -0.1, 0, 0.2, 2];
  close("constant unit", evalReluMlpPieces(reluMlpPieces(layers), x), scalarMlpForward(layers, "relu", x).out, 1e-12);
  assert.throws(() => reluMlpPieces(mlpInit([1, 4, 4, 2], 0)), /exactly 2 layers/);
});
