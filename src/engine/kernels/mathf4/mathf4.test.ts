// Accuracy of the vector exp / sigmoid / tanh (mathf4.as.ts) against float64 Math, measured in
// float32 ulps of the exact value, plus the special cases the kernels rely on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { EXPF4_MAP, SIGMOIDF4_MAP, TANHF4_MAP } from "../names.js";
import { runKernel, SplitEngine, assertSameOutputs } from "../testing.js";

const engine = new SerialEngine();

/** Size of one float32 ulp at |y| (subnormal spacing below 2^−126). */
function ulp32(y: number): number {
  const a = Math.abs(y);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

function maxUlpError(name: typeof EXPF4_MAP | typeof SIGMOIDF4_MAP | typeof TANHF4_MAP, f: (x: number) => number, xs: Float64Array, floor = 0): { ulps: number; at: number } {
  const got = runKernel(engine, { out: xs.length, inp: xs }, (p) => engine.parallelFor(name, xs.length, [p.out!, p.inp!])).out!;
  let worst = 0, at = NaN;
  for (let i = 0; i < xs.length; i++) {
    const ref = f(xs[i]!);
    const e = Math.abs(got[i]! - ref) / Math.max(ulp32(ref), floor);
    if (!(e <= worst)) { worst = e; at = xs[i]!; }
  }
  return { ulps: worst, at };
}

function grid(lo: number, hi: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.fround(lo + ((hi - lo) * i) / (n - 1)));
}

test("expf4 is within 1.5 float32 ulps of exp on [−87, 88.7]", () => {
  const { ulps, at } = maxUlpError(EXPF4_MAP, Math.exp, grid(-87, 88.7, 200001));
  assert.ok(ulps <= 1.5, `expf4: max error ${ulps.toFixed(2)} ulp at x=${at}`);
  const small = maxUlpError(EXPF4_MAP, Math.exp, grid(-1e-3, 1e-3, 2001));
  assert.ok(small.ulps <= 1, `expf4 near 0: max error ${small.ulps.toFixed(2)} ulp at x=${small.at}`);
});

test("expf4 special cases: −Inf → 0, underflow → 0, overflow → Inf, NaN → NaN", () => {
  const xs = [-Infinity, -1000, -87.5, 89, 1000, Infinity, NaN, 0];
  const got = runKernel(engine, { out: xs.length, inp: xs }, (p) => engine.parallelFor(EXPF4_MAP, xs.length, [p.out!, p.inp!])).out!;
  assert.deepEqual(Array.from(got.subarray(0, 6)), [0, 0, 0, Infinity, Infinity, Infinity]);
  assert.ok(Number.isNaN(got[6]!), `exp(NaN) = ${got[6]}`);
  assert.equal(got[7], 1);
});

test("sigmoidf4 is within 3 ulps of 1/(1+e^−x) on [−80, 40]", () => {
  const { ulps, at } = maxUlpError(SIGMOIDF4_MAP, (x) => 1 / (1 + Math.exp(-x)), grid(-80, 40, 100001));
  assert.ok(ulps <= 3, `sigmoidf4: max error ${ulps.toFixed(2)} ulp at x=${at}`);
});

test("tanhf4 is within 2 ulps of tanh on [−12, 12] and odd", () => {
  const xs = grid(-12, 12, 100001);
  const { ulps, at } = maxUlpError(TANHF4_MAP, Math.tanh, xs);
  assert.ok(ulps <= 2, `tanhf4: max error ${ulps.toFixed(2)} ulp at x=${at}`);
  const tiny = maxUlpError(TANHF4_MAP, Math.tanh, grid(-1e-3, 1e-3, 2001));
  assert.ok(tiny.ulps <= 2, `tanhf4 near 0: max error ${tiny.ulps.toFixed(2)} ulp at x=${tiny.at}`);
  const big = runKernel(engine, { out: 3, inp: [-100, 100, NaN] }, (p) => engine.parallelFor(TANHF4_MAP, 3, [p.out!, p.inp!])).out!;
  assert.equal(big[0], -1);
  assert.equal(big[1], 1);
  assert.ok(Number.isNaN(big[2]!));
});

test("mathf4 tails (scalar path) give the same bits as SIMD lanes under any split", () => {
  const xs = grid(-20, 20, 131);
  for (const name of [EXPF4_MAP, SIGMOIDF4_MAP, TANHF4_MAP] as const) {
    const split = new SplitEngine(3);
    const a = runKernel(engine, { out: xs.length, inp: xs }, (p) => engine.parallelFor(name, xs.length, [p.out!, p.inp!]));
    const b = runKernel(split, { out: xs.length, inp: xs }, (p) => split.parallelFor(name, xs.length, [p.out!, p.inp!]));
    assertSameOutputs(name, a, b);
  }
});
