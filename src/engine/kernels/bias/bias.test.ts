import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, dot, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { biasAddBackward, biasAddForward } from "./bias.js";
import { biasAddBackwardRef, biasAddForwardRef } from "./bias.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

function run(engine: SerialEngine | SplitEngine, x: Float64Array, bias: Float64Array, dOut: Float64Array, dB0: Float64Array, N: number, C: number) {
  return runKernel(engine, { out: x, bias, dBias: dB0, dOut }, (p) => {
    biasAddForward(engine, p.out!, p.bias!, N, C);
    biasAddBackward(engine, p.dBias!, p.dOut!, N, C);
  });
}

test("biasAdd forward (in place) and backward (+=) match the float64 reference on odd sizes", () => {
  const rng = new Rng(31);
  for (const N of [1, 3, 17]) {
    for (const C of [...ODD_SIZES, 64]) {
      const x = randomArray(rng, N * C), bias = randomArray(rng, C), dOut = randomArray(rng, N * C), dB0 = randomArray(rng, C);
      const got = run(serial, x, bias, dOut, dB0, N, C);
      assertClose(`biasAdd N=${N} C=${C} out`, got.out!, biasAddForwardRef(x, bias, N, C), 1e-6, 1e-6);
      assertClose(`biasAdd N=${N} C=${C} dBias`, got.dBias!, biasAddBackwardRef(dOut, N, C).map((v, i) => v + dB0[i]!), 1e-5, 1e-5);
    }
  }
});

test("biasAdd reference backward matches finite differences; split gives the same bytes", () => {
  const rng = new Rng(32);
  const N = 3, C = 4;
  const x = randomArray(rng, N * C), bias = randomArray(rng, C), dOut = randomArray(rng, N * C);
  const fd = numericGradient((b) => dot(biasAddForwardRef(x, b, N, C), dOut), Float64Array.from(bias));
  assertClose("FD dBias", biasAddBackwardRef(dOut, N, C), fd, 1e-7, 1e-7);
  for (const [n, c] of [[17, 129], [9, 35]] as const) {
    const a = [randomArray(rng, n * c), randomArray(rng, c), randomArray(rng, n * c), randomArray(rng, c)] as const;
    assertSameOutputs(`biasAdd N=${n} C=${c}`, run(serial, ...a, n, c), run(split, ...a, n, c));
  }
  assert.throws(() => biasAddBackward(serial, 16, 16, 3, 0), /biasAddBackward: size C must be an integer ≥ 1, got 0/);
});
