import { test } from "node:test";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, dot, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { residualBackward, residualForward } from "./residual.js";
import { residualForwardRef } from "./residual.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

function run(engine: SerialEngine | SplitEngine, a: Float64Array, b: Float64Array, dOut: Float64Array, dA0: Float64Array) {
  const n = a.length;
  return runKernel(engine, { out: n, a, b, dA: dA0, dOut }, (p) => {
    residualForward(engine, p.out!, p.a!, p.b!, n);
    residualBackward(engine, p.dA!, p.dOut!, n);
  });
}

test("residual forward and backward (+=) match the reference; FD; split gives the same bytes", () => {
  const rng = new Rng(41);
  for (const n of [...ODD_SIZES, 1000]) {
    const a = randomArray(rng, n), b = randomArray(rng, n), dOut = randomArray(rng, n), dA0 = randomArray(rng, n);
    const got = run(serial, a, b, dOut, dA0);
    assertClose(`residual n=${n} out`, got.out!, residualForwardRef(a, b), 0, 6e-8);
    // d(Σ dOut·(a+b))/da = dOut, checked by finite differences on the reference
    const fd = numericGradient((x) => dot(residualForwardRef(x, b), dOut), Float64Array.from(a));
    assertClose(`residual n=${n} dA (+=)`, got.dA!, fd.map((v, i) => v + dA0[i]!), 1e-6, 1e-6);
    assertSameOutputs(`residual n=${n}`, got, run(split, a, b, dOut, dA0));
  }
});
