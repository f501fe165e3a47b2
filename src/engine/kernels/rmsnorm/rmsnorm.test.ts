import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, dot, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { DEFAULT_RMSNORM_EPS, rmsNormBackward, rmsNormForward } from "./rmsnorm.js";
import { rmsNormBackwardRef, rmsNormForwardRef } from "./rmsnorm.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);
const eps = DEFAULT_RMSNORM_EPS;

function inputs(rng: Rng, N: number, C: number) {
  return {
    inp: randomArray(rng, N * C, 1.3), weight: randomArray(rng, C).map((x) => Math.fround(1 + 0.3 * x)),
    dOut: randomArray(rng, N * C), dInp0: randomArray(rng, N * C), dW0: randomArray(rng, C),
  };
}

function run(engine: SerialEngine | SplitEngine, x: ReturnType<typeof inputs>, N: number, C: number) {
  return runKernel(engine, { out: N * C, rstd: N, inp: x.inp, weight: x.weight, dInp: x.dInp0, dWeight: x.dW0, dOut: x.dOut }, (p) => {
    rmsNormForward(engine, p.out!, p.rstd!, p.inp!, p.weight!, N, C);
    rmsNormBackward(engine, p.dInp!, p.dWeight!, p.dOut!, p.inp!, p.weight!, p.rstd!, N, C);
  });
}

test("rmsNorm forward and backward (+=) match the float64 reference on odd sizes", () => {
  const rng = new Rng(11);
  for (const N of [1, 3, 17]) {
    for (const C of [...ODD_SIZES, 128]) {
      const x = inputs(rng, N, C);
      const got = run(serial, x, N, C);
      const ref = rmsNormForwardRef(x.inp, x.weight, N, C, eps);
      const tag = `rmsNorm N=${N} C=${C}`;
      assertClose(`${tag} out`, got.out!, ref.out, 2e-5, 2e-5);
      assertClose(`${tag} rstd`, got.rstd!, ref.rstd, 0, 2e-5);
      const g = rmsNormBackwardRef(x.dOut, x.inp, x.weight, N, C, eps);
      assertClose(`${tag} dInp (+=)`, got.dInp!, g.dInp.map((v, i) => v + x.dInp0[i]!), 3e-5, 1e-4);
      assertClose(`${tag} dWeight (+=)`, got.dWeight!, g.dWeight.map((v, i) => v + x.dW0[i]!), 3e-5, 1e-4);
    }
  }
});

test("rmsNorm float64 reference backward matches finite differences", () => {
  const rng = new Rng(12);
  const N = 3, C = 5;
  const x = inputs(rng, N, C);
  const inp = Float64Array.from(x.inp), w = Float64Array.from(x.weight);
  const loss = () => dot(rmsNormForwardRef(inp, w, N, C, eps).out, x.dOut);
  const g = rmsNormBackwardRef(x.dOut, inp, w, N, C, eps);
  assertClose("FD dInp", g.dInp, numericGradient(loss, inp), 1e-6, 1e-6);
  assertClose("FD dWeight", g.dWeight, numericGradient(loss, w), 1e-6, 1e-6);
});

test("rmsNorm gives the same bytes when rows/channels are split across threads", () => {
  const rng = new Rng(13);
  for (const [N, C] of [[17, 129], [5, 40]] as const) {
    const x = inputs(rng, N, C);
    assertSameOutputs(`rmsNorm N=${N} C=${C}`, run(serial, x, N, C), run(split, x, N, C));
  }
});

test("rmsNorm refuses a bad eps and an out-of-memory buffer", () => {
  const p = serial.alloc(64);
  assert.throws(() => rmsNormForward(serial, p, p, p, p, 2, 2, -1), /rmsNormForward: `eps` must be a finite number > 0, got -1/);
  assert.throws(() => rmsNormBackward(serial, p, p, p, p, p, p, 1 << 20, 64), /rmsNormBackward: `dInp` \[N=1048576, C=64\]/);
});
