/**
 * Transformer-XL's BD kernels (relative-bd.ts) against the float64 reference (relative-bd.ref.ts) on odd sizes
 * (HS 3, 5, 8; memory rows 0 and > S; clamped and unclamped D), and split-invariant: a SplitEngine (3 uneven
 * ranges in reverse order) gives the same bytes as one call.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine, type Engine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { SplitEngine } from "../testing.js";
import { relativeBdBackwardQuery, relativeBdBackwardR, relativeBdForward, type BdShape } from "./relative-bd.js";
import { relativeBdRef } from "./relative-bd.ref.js";
import { assertClose, f32Buffer, randomArray } from "./testing.js";

const CASES: BdShape[] = [
  { K: 7, M: 0, NH: 1, HS: 3, D: 6 },
  { K: 11, M: 6, NH: 3, HS: 5, D: 10 },
  { K: 9, M: 4, NH: 2, HS: 8, D: 3 },
  { K: 13, M: 9, NH: 2, HS: 7, D: 12 },
];

function run(engine: Engine, s: BdShape, seed: number) {
  const rng = new Rng(seed), { K, M, NH, HS, D } = s, scale = 1 / Math.sqrt(HS);
  const x = randomArray(rng, NH * K * HS, 1.2);
  for (let h = 0; h < NH; h++) x.fill(0, h * K * HS, (h * K + M) * HS); // memory rows ask no query
  const r = randomArray(rng, NH * (D + 1) * HS, 1.2), vb = randomArray(rng, NH * HS, 0.5), dBias = randomArray(rng, NH * K * K);
  for (let h = 0; h < NH; h++) for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) if (j > i || i < M) dBias[(h * K + i) * K + j] = 0; // as the attention backward leaves it
  const mark = engine.mark();
  try {
    const p = { x: f32Buffer(engine, x.length, x), r: f32Buffer(engine, r.length, r), vb: f32Buffer(engine, vb.length, vb), g: f32Buffer(engine, dBias.length, dBias) };
    const bias = f32Buffer(engine, NH * K * K, new Float32Array(NH * K * K).fill(NaN)), acc = f32Buffer(engine, NH * K * HS, new Float32Array(NH * K * HS).fill(7)), dr = f32Buffer(engine, r.length, new Float32Array(r.length).fill(7));
    relativeBdForward(engine, bias, p.x, p.r, p.vb, s, scale);
    relativeBdBackwardQuery(engine, acc, p.g, p.r, s, scale);
    relativeBdBackwardR(engine, dr, p.g, p.x, p.vb, s, scale);
    const got = { bias: Float32Array.from(engine.f32(bias, NH * K * K)), acc: Float32Array.from(engine.f32(acc, NH * K * HS)), dr: Float32Array.from(engine.f32(dr, r.length)) };
    return { got, ref: relativeBdRef(x, r, vb, dBias, s, scale) };
  } finally {
    engine.reset(mark);
  }
}

test("BD kernels (bias, its query and r gradients) = float64 reference on odd sizes, with memory rows and clamped distances", () => {
  const engine = new SerialEngine();
  CASES.forEach((s, n) => {
    const { got, ref } = run(engine, s, 40 + n), name = JSON.stringify(s);
    const below = (a: ArrayLike<number>) => Array.from(a).map((v, i) => (Number.isNaN(ref.bias[i]!) ? 0 : v));
    assertClose(`${name} bias (j ≤ i)`, below(got.bias), below(ref.bias), 2e-5, 2e-5);
    assert.ok(Array.from(got.bias).every((v, i) => !Number.isNaN(ref.bias[i]!) || Number.isNaN(v)), `${name}: entries above the diagonal untouched`);
    assertClose(`${name} acc`, got.acc, ref.acc, 2e-5, 2e-5);
    assertClose(`${name} dr`, got.dr, ref.dr, 2e-5, 2e-5);
  });
});

test("BD kernels are split-invariant: 3 uneven ranges in reverse order give the same bytes", () => {
  const one = new SerialEngine(), split = new SplitEngine(3);
  CASES.forEach((s, n) => {
    const a = run(one, s, 60 + n).got, b = run(split, s, 60 + n).got;
    for (const k of ["bias", "acc", "dr"] as const) assert.deepEqual(Buffer.from(b[k].buffer), Buffer.from(a[k].buffer), `${JSON.stringify(s)} ${k}`);
  });
});

test("BD kernels refuse bad shapes with a message", () => {
  const engine = new SerialEngine(), buf = f32Buffer(engine, 64);
  assert.throws(() => relativeBdForward(engine, buf, buf, buf, buf, { K: 2, M: 2, NH: 1, HS: 2, D: 1 }, 1), /`M` must be an integer/);
  assert.throws(() => relativeBdForward(engine, buf, buf, buf, buf, { K: 2, M: 0, NH: 1, HS: 2, D: 1 }, NaN), /`scale` must be a finite number, got NaN/);
});
