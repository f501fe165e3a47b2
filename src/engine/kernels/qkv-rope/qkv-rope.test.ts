import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { ExtraposError } from "../../../pe/errors.js";
import { QKV_ROPE_FORWARD } from "../names.js";
import { qkvRopeBackward, qkvRopeForward, type QkvRotation, type QkvShape, type RopeLayout } from "./qkv-rope.js";
import { qkvRopeBackwardRef, qkvRopeForwardRef, type RefRotation } from "./qkv-rope.ref.js";
import { assertClose, f32Buffer, i32Buffer, randomArray, randomPositions } from "../attention/testing.js";
import { numericGradient } from "../../../testing/finite-difference.js";

const engine = new SerialEngine();

/** RoPE tables [P, R/2] computed in float64 from θ_i = base^(−2i/R) (by hand from the formula). */
function ropeTables(P: number, R: number, base = 10000): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(P * (R / 2)), sin = new Float64Array(P * (R / 2));
  for (let p = 0; p < P; p++) for (let i = 0; i < R / 2; i++) {
    const a = p * Math.pow(base, (-2 * i) / R);
    cos[p * (R / 2) + i] = Math.cos(a); sin[p * (R / 2) + i] = Math.sin(a);
  }
  return { cos, sin };
}

interface Case { shape: QkvShape; layout: RopeLayout; R: number; positions: "none" | "shared" | "perBatch" }

function runCase(c: Case, seed: number): void {
  const rng = new Rng(seed);
  const { B, T, NH, HS } = c.shape;
  const C = NH * HS, P = T + 7, half = c.R / 2;
  const mark = engine.mark();
  // random (non-trigonometric) tables: separate q/k values catch any swap of the two
  const tabs = [0, 1, 2, 3].map(() => randomArray(rng, P * half));
  const ids = c.positions === "none" ? null : randomPositions(rng, c.positions === "perBatch" ? B : 1, T, P);
  const idsFull = ids && c.positions === "shared" ? Int32Array.from({ length: B * T }, (_, i) => ids[i % T]!) : ids;
  const qkv = randomArray(rng, B * T * 3 * C);
  const rot: QkvRotation | null = c.R === 0 && c.positions === "none" ? null : {
    layout: c.layout, rotaryDim: c.R, tableRows: P,
    cosQ: f32Buffer(engine, P * half, tabs[0]), sinQ: f32Buffer(engine, P * half, tabs[1]),
    cosK: f32Buffer(engine, P * half, tabs[2]), sinK: f32Buffer(engine, P * half, tabs[3]),
  };
  const refRot: RefRotation | null = rot && { layout: c.layout, rotaryDim: c.R, cosQ: tabs[0]!, sinQ: tabs[1]!, cosK: tabs[2]!, sinK: tabs[3]! };
  const positions = ids ? { ptr: i32Buffer(engine, ids), perBatch: c.positions === "perBatch" } : null;
  const n = B * T * C;
  const [q, k, v, qkvP] = [f32Buffer(engine, n), f32Buffer(engine, n), f32Buffer(engine, n), f32Buffer(engine, 3 * n, qkv)];
  qkvRopeForward(engine, q, k, v, qkvP, c.shape, rot, positions);
  const ref = qkvRopeForwardRef(qkv, c.shape, refRot, idsFull);
  const what = `${JSON.stringify(c)}`;
  assertClose(`q ${what}`, engine.f32(q, n), ref.q, 1e-6, 1e-6);
  assertClose(`k ${what}`, engine.f32(k, n), ref.k, 1e-6, 1e-6);
  assert.deepEqual(engine.f32(v, n), Float32Array.from(ref.v), `v ${what}`);
  const grads = [randomArray(rng, n), randomArray(rng, n), randomArray(rng, n)];
  const dqkv = f32Buffer(engine, 3 * n);
  qkvRopeBackward(engine, dqkv, f32Buffer(engine, n, grads[0]), f32Buffer(engine, n, grads[1]), f32Buffer(engine, n, grads[2]), c.shape, rot, positions);
  assertClose(`dqkv ${what}`, engine.f32(dqkv, 3 * n), qkvRopeBackwardRef(grads[0]!, grads[1]!, grads[2]!, c.shape, refRot, idsFull), 1e-6, 1e-6);
  engine.reset(mark);
}

test("qkvRope forward/backward match the float64 reference (odd sizes, both layouts, partial rotary, position ids)", () => {
  let seed = 1;
  for (const B of [1, 2]) for (const T of [1, 3, 17]) for (const NH of [1, 3]) for (const HS of [1, 4, 6, 12, 18]) {
    for (const layout of ["half", "interleaved"] as const) {
      for (const R of [...new Set([0, HS >= 2 ? 2 : 0, HS - (HS % 2), HS >= 8 ? 4 : 0, HS >= 12 ? 10 : 0])]) {
        for (const positions of ["none", "shared", "perBatch"] as const) {
          if (R === 0 && positions !== "none") continue;
          runCase({ shape: { B, T, NH, HS }, layout, R, positions }, seed++);
        }
      }
    }
  }
});

test("qkvRope backward of the reference equals finite differences of its forward", () => {
  const rng = new Rng(7);
  const shape = { B: 1, T: 3, NH: 2, HS: 6 }, P = 5;
  for (const layout of ["half", "interleaved"] as const) {
    const rot: RefRotation = { layout, rotaryDim: 4, cosQ: randomArray(rng, P * 2), sinQ: randomArray(rng, P * 2), cosK: randomArray(rng, P * 2), sinK: randomArray(rng, P * 2) };
    const ids = [0, 2, 4];
    const n = 3 * 2 * 6;
    const w = [randomArray(rng, n), randomArray(rng, n), randomArray(rng, n)];
    const loss = (x: Float64Array) => {
      const o = qkvRopeForwardRef(x, shape, rot, ids);
      let s = 0;
      for (let i = 0; i < n; i++) s += o.q[i]! * w[0]![i]! + o.k[i]! * w[1]![i]! + o.v[i]! * w[2]![i]!;
      return s;
    };
    const x = Float64Array.from(randomArray(rng, 3 * n));
    const g = qkvRopeBackwardRef(w[0]!, w[1]!, w[2]!, shape, rot, ids);
    const fd = numericGradient(loss, x, 1e-5);
    assertClose(`fd ${layout}`, g, fd, 1e-7, 1e-6);
  }
});

test("RoPE rotation makes q·k depend only on m − n (both layouts, wasm kernel)", () => {
  const rng = new Rng(11);
  const HS = 8, P = 64, R = 8;
  const { cos, sin } = ropeTables(P, R);
  for (const layout of ["half", "interleaved"] as const) {
    const mark = engine.mark();
    const tc = f32Buffer(engine, P * 4, cos), ts = f32Buffer(engine, P * 4, sin);
    const rot: QkvRotation = { layout, rotaryDim: R, tableRows: P, cosQ: tc, sinQ: ts, cosK: tc, sinK: ts };
    const qv = randomArray(rng, HS), kv = randomArray(rng, HS);
    // one sequence of T = P rows holding the same q and k at every position
    const qkv = new Float32Array(P * 3 * HS);
    for (let t = 0; t < P; t++) { qkv.set(qv, t * 3 * HS); qkv.set(kv, t * 3 * HS + HS); }
    const shape = { B: 1, T: P, NH: 1, HS };
    const [q, k, v] = [f32Buffer(engine, P * HS), f32Buffer(engine, P * HS), f32Buffer(engine, P * HS)];
    qkvRopeForward(engine, q, k, v, f32Buffer(engine, P * 3 * HS, qkv), shape, rot);
    const Q = engine.f32(q, P * HS), K = engine.f32(k, P * HS);
    const dot = (m: number, n: number) => { let s = 0; for (let d = 0; d < HS; d++) s += Q[m * HS + d]! * K[n * HS + d]!; return s; };
    let spread = 0;
    for (const delta of [0, 1, 5, 17]) {
      const base = dot(delta, 0);
      for (let n = 1; n + delta < P; n += 7) spread = Math.max(spread, Math.abs(dot(n + delta, n) - base));
      assert.ok(Math.abs(dot(delta + 1, 0) - base) > 1e-3, `${layout}: scores must change with m − n`);
    }
    assert.ok(spread < 1e-5, `${layout}: q·k varies with absolute position by ${spread}`);
    engine.reset(mark);
  }
});

test("qkvRope: two sub-range calls equal one full call", () => {
  const rng = new Rng(3);
  const B = 2, T = 5, NH = 3, HS = 8, P = 9, C = NH * HS, n = B * T * C;
  const mark = engine.mark();
  const tabs = [0, 1, 2, 3].map(() => f32Buffer(engine, P * 3, randomArray(rng, P * 3)));
  const qkv = f32Buffer(engine, 3 * n, randomArray(rng, 3 * n));
  const ids = i32Buffer(engine, randomPositions(rng, B, T, P));
  const outs = [0, 1].map(() => [f32Buffer(engine, n), f32Buffer(engine, n), f32Buffer(engine, n)]);
  const args = (o: number[]) => [...o, qkv, tabs[0]!, tabs[1]!, tabs[2]!, tabs[3]!, ids, T, T, NH, HS, 6, 1];
  engine.kernels[QKV_ROPE_FORWARD]!(...args(outs[0]!), 0, B * T);
  engine.kernels[QKV_ROPE_FORWARD]!(...args(outs[1]!), 0, 4);
  engine.kernels[QKV_ROPE_FORWARD]!(...args(outs[1]!), 4, B * T);
  for (let i = 0; i < 3; i++) assert.deepEqual(engine.f32(outs[1]![i]!, n), engine.f32(outs[0]![i]!, n));
  engine.reset(mark);
});

test("qkvRope refuses bad shapes, tables and position ids with a message", () => {
  const mark = engine.mark();
  const shape = { B: 1, T: 4, NH: 1, HS: 4 };
  const buf = f32Buffer(engine, 64), tab = f32Buffer(engine, 8);
  const rot: QkvRotation = { layout: "half", rotaryDim: 4, tableRows: 4, cosQ: tab, sinQ: tab, cosK: tab, sinK: tab };
  const call = (r: QkvRotation | null, s = shape, ids: number[] | null = null) =>
    qkvRopeForward(engine, buf, buf, buf, buf, s, r, ids ? { ptr: i32Buffer(engine, ids), perBatch: false } : null);
  assert.throws(() => call({ ...rot, rotaryDim: 3 }), (e: unknown) => e instanceof ExtraposError && /rotaryDim.*even, got 3/.test(e.message));
  assert.throws(() => call({ ...rot, rotaryDim: 6 }), /rotaryDim.*in \[0, 4\], got 6/);
  assert.throws(() => call(rot, { ...shape, T: 5 }), /tables have 4 rows but T = 5/);
  assert.throws(() => call(rot, shape, [0, 2, 1, 3]), /position id \[0, 2\]/);
  assert.throws(() => call(rot, shape, [0, 1, 2, 4]), /position id \[0, 3\] must be in \[0, 4\)/);
  assert.throws(() => call({ ...rot, layout: "rotate_half" as RopeLayout }), /layout.*"half" or "interleaved"/);
  assert.throws(() => call(null, { ...shape, HS: 0 }), /`HS` must be an integer ≥ 1, got 0/);
  engine.reset(mark);
});
