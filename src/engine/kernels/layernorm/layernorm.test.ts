import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { ExtraposError } from "../../../pe/errors.js";
import { assertClose, assertSameOutputs, dot, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { DEFAULT_LAYERNORM_EPS, layerNormBackward, layerNormForward } from "./layernorm.js";
import { layerNormBackwardRef, layerNormForwardRef } from "./layernorm.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);
const eps = DEFAULT_LAYERNORM_EPS;

function inputs(rng: Rng, N: number, C: number) {
  const inp = randomArray(rng, N * C, 1.5).map((x) => Math.fround(x + 0.7));
  return {
    inp, weight: randomArray(rng, C).map((x) => Math.fround(1 + 0.3 * x)), bias: randomArray(rng, C, 0.2),
    dOut: randomArray(rng, N * C), dInp0: randomArray(rng, N * C), dW0: randomArray(rng, C), dB0: randomArray(rng, C),
  };
}

function runBoth(engine: SerialEngine | SplitEngine, x: ReturnType<typeof inputs>, N: number, C: number) {
  return runKernel(engine, {
    out: N * C, mean: N, rstd: N, inp: x.inp, weight: x.weight, bias: x.bias,
    dInp: x.dInp0, dWeight: x.dW0, dBias: x.dB0, dOut: x.dOut,
  }, (p) => {
    layerNormForward(engine, p.out!, p.mean!, p.rstd!, p.inp!, p.weight!, p.bias!, N, C);
    layerNormBackward(engine, p.dInp!, p.dWeight!, p.dBias!, p.dOut!, p.inp!, p.weight!, p.mean!, p.rstd!, N, C);
  });
}

test("layerNorm forward and backward (+=) match the float64 reference on odd sizes", () => {
  const rng = new Rng(1);
  for (const N of [1, 3, 17]) {
    for (const C of [...ODD_SIZES, 128]) {
      const x = inputs(rng, N, C);
      const got = runBoth(serial, x, N, C);
      const ref = layerNormForwardRef(x.inp, x.weight, x.bias, N, C, eps);
      const tag = `layerNorm N=${N} C=${C}`;
      assertClose(`${tag} out`, got.out!, ref.out, 2e-5, 2e-5);
      assertClose(`${tag} mean`, got.mean!, ref.mean, 1e-6, 1e-6);
      assertClose(`${tag} rstd`, got.rstd!, ref.rstd, 0, 2e-5);
      const g = layerNormBackwardRef(x.dOut, x.inp, x.weight, N, C, eps);
      assertClose(`${tag} dInp (+=)`, got.dInp!, g.dInp.map((v, i) => v + x.dInp0[i]!), 3e-5, 1e-4);
      assertClose(`${tag} dWeight (+=)`, got.dWeight!, g.dWeight.map((v, i) => v + x.dW0[i]!), 3e-5, 1e-4);
      assertClose(`${tag} dBias (+=)`, got.dBias!, g.dBias.map((v, i) => v + x.dB0[i]!), 3e-5, 1e-4);
    }
  }
});

test("layerNorm float64 reference backward matches finite differences", () => {
  const rng = new Rng(2);
  const N = 3, C = 5;
  const x = inputs(rng, N, C);
  const inp = Float64Array.from(x.inp), w = Float64Array.from(x.weight), b = Float64Array.from(x.bias);
  const loss = () => dot(layerNormForwardRef(inp, w, b, N, C, eps).out, x.dOut);
  const g = layerNormBackwardRef(x.dOut, inp, w, N, C, eps);
  assertClose("FD dInp", g.dInp, numericGradient(loss, inp), 1e-6, 1e-6);
  assertClose("FD dWeight", g.dWeight, numericGradient(loss, w), 1e-6, 1e-6);
  assertClose("FD dBias", g.dBias, numericGradient(loss, b), 1e-6, 1e-6);
});

test("layerNorm gives the same bytes when rows/channels are split across threads", () => {
  const rng = new Rng(3);
  for (const [N, C] of [[17, 129], [5, 40], [2, 3]] as const) {
    const x = inputs(rng, N, C);
    assertSameOutputs(`layerNorm N=${N} C=${C}`, runBoth(serial, x, N, C), runBoth(split, x, N, C));
  }
});

test("layerNorm refuses bad sizes and buffers with the op and shape in the message", () => {
  const p = serial.alloc(64);
  assert.throws(() => layerNormForward(serial, p, p, p, p, p, p, 0, 4), (e: unknown) => e instanceof ExtraposError && /layerNormForward: size N/.test(e.message));
  assert.throws(() => layerNormForward(serial, p, p, p, p, p, p, 1 << 20, 64), /layerNormForward: `out` \[N=1048576, C=64\]/);
  assert.throws(() => layerNormBackward(serial, p, p, p, p, p, p, p, p, 2, 2.5), /layerNormBackward: size C/);
});
