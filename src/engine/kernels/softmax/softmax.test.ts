import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, dot, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { softmaxBackward, softmaxForward } from "./softmax.js";
import { softmaxBackwardRef, softmaxForwardRef } from "./softmax.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

function run(engine: SerialEngine | SplitEngine, inp: Float64Array, dOut: Float64Array, N: number, V: number) {
  return runKernel(engine, { out: N * V, dInp: N * V, inp, dOut }, (p) => {
    softmaxForward(engine, p.out!, p.inp!, N, V);
    softmaxBackward(engine, p.dInp!, p.dOut!, p.out!, N, V);
  });
}

test("softmax forward/backward match the float64 reference on odd sizes", () => {
  const rng = new Rng(51);
  for (const N of [1, 3, 17]) {
    for (const V of [...ODD_SIZES, 256]) {
      const inp = randomArray(rng, N * V, 4), dOut = randomArray(rng, N * V);
      const got = run(serial, inp, dOut, N, V);
      const out = softmaxForwardRef(inp, N, V);
      assertClose(`softmax N=${N} V=${V} out`, got.out!, out, 1e-8, 1e-5);
      assertClose(`softmax N=${N} V=${V} dInp`, got.dInp!, softmaxBackwardRef(dOut, out, N, V), 1e-7, 1e-4);
    }
  }
});

test("softmax reference backward matches finite differences; −Inf masks give exact zeros", () => {
  const rng = new Rng(52);
  const N = 2, V = 5;
  const inp = randomArray(rng, N * V), dOut = randomArray(rng, N * V);
  const fd = numericGradient((x) => dot(softmaxForwardRef(x, N, V), dOut), Float64Array.from(inp));
  assertClose("FD softmax", softmaxBackwardRef(dOut, softmaxForwardRef(inp, N, V), N, V), fd, 1e-8, 1e-6);
  const masked = run(serial, Float64Array.from([0.5, -Infinity, 1.5, -Infinity, 2]), new Float64Array(5), 1, 5).out!;
  assert.equal(masked[1], 0);
  assert.equal(masked[3], 0);
  assertClose("masked softmax", masked, softmaxForwardRef([0.5, -Infinity, 1.5, -Infinity, 2], 1, 5), 1e-8, 1e-6);
});

test("softmax gives the same bytes when rows are split across threads", () => {
  const rng = new Rng(53);
  const inp = randomArray(rng, 17 * 129, 3), dOut = randomArray(rng, 17 * 129);
  assertSameOutputs("softmax", run(serial, inp, dOut, 17, 129), run(split, inp, dOut, 17, 129));
});
