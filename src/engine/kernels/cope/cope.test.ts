import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { COPE_FORWARD } from "../names.js";
import { copeBackward, copeForward } from "./cope.js";
import { copeBackwardRef, copeForwardRef } from "./cope.ref.js";
import { assertClose, f32Buffer, randomArray } from "../attention/testing.js";
import { numericGradient } from "../../../testing/finite-difference.js";
import type { AttentionShape } from "../attention/attention.js";

const engine = new SerialEngine();

function runWasm(shape: AttentionShape, P: number, x: { q: ArrayLike<number>; k: ArrayLike<number>; v: ArrayLike<number>; e: ArrayLike<number>; g: ArrayLike<number> }) {
  const { B, T, NH, HS } = shape, n = B * NH * T * HS;
  const mark = engine.mark();
  try {
    const [q, k, v, g] = [f32Buffer(engine, n, x.q), f32Buffer(engine, n, x.k), f32Buffer(engine, n, x.v), f32Buffer(engine, n, x.g)];
    const e = f32Buffer(engine, P * HS, x.e);
    const out = f32Buffer(engine, n), lse = f32Buffer(engine, B * NH * T);
    copeForward(engine, out, lse, q, k, v, e, shape, { maxPos: P });
    const [dq, dk, dv, dE] = [f32Buffer(engine, n), f32Buffer(engine, n), f32Buffer(engine, n), f32Buffer(engine, B * NH * P * HS)];
    copeBackward(engine, dq, dk, dv, dE, g, out, lse, q, k, v, e, shape, { maxPos: P });
    const get = (p: number, len: number) => Float64Array.from(engine.f32(p, len));
    return { out: get(out, n), lse: get(lse, B * NH * T), dq: get(dq, n), dk: get(dk, n), dv: get(dv, n), dEmb: get(dE, B * NH * P * HS) };
  } finally {
    engine.reset(mark);
  }
}

/** Sums the per-(b, h) dEmb slabs [B·NH, P, HS] → [P, HS] (what the caller does). */
function reduceEmb(slabs: ArrayLike<number>, BNH: number, P: number, HS: number): Float64Array {
  const out = new Float64Array(P * HS);
  for (let s = 0; s < BNH; s++) for (let x = 0; x < P * HS; x++) out[x]! += slabs[s * P * HS + x]!;
  return out;
}

test("CoPE matches PyTorch autograd of the x-transformers formulas (golden values)", () => {
  // From /usr/bin/python3 + torch 1.13 (float64), the x-transformers `CoPE.forward` + `Attention` order
  // (sim = q·k/√d, causal mask −max, sim += CoPE(q, sim), softmax): inputs sin(a·i + b) with
  // (a, b) = q (0.37, 0.1), k (0.91, 0.5), v (0.53, 0.2), e (0.71, 0.3), upstream grad (0.29, 0.7);
  // T 5, HS 4, P 3 (row 4 has positions [2 (clamped), 1.93, 1.38, 0.998, 0.347]). Loss = Σ out·grad.
  const f = (n: number, a: number, b: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(a * i + b));
  const shape = { B: 1, T: 5, NH: 1, HS: 4 }, P = 3;
  const x = { q: f(20, 0.37, 0.1), k: f(20, 0.91, 0.5), v: f(20, 0.53, 0.2), e: f(12, 0.71, 0.3), g: f(20, 0.29, 0.7) };
  const golden = {
    out: [0.198669330795, 0.666869635004, 0.952090341591, 0.976070921983, 0.566998038117, 0.40496793232, 0.131820352558, -0.17749686787, 0.107761780272, -0.08414610773, -0.252965493683, -0.352374725363, -0.101851651669, -0.201781524492, -0.246345400394, -0.223315582004, 0.382080823307, 0.40416784927, 0.315356932743, 0.140016533343],
    dq: [0.0, 0.0, 0.0, 0.0, 0.000402699703, -0.116160769369, -0.222086799462, -0.26015112802, 0.007640456245, -0.117485175839, -0.167650226826, -0.121002739116, 0.963634226618, 0.193648840457, -0.862710342377, -1.468811747338, 0.080306306693, -0.082576304674, -0.197669105143, -0.190500715764],
    dk: [0.237213529214, 0.207631196146, 0.149946954722, 0.071968096409, 0.067018799815, 0.037354120288, 0.002633735817, -0.032443112442, -1.044341351662, -1.024153746231, -0.86535173577, -0.589428427421, -0.122276296607, -0.109982013049, -0.082802179973, -0.04441546028, -0.012356435826, 0.00506362721, 0.021798352058, 0.035582772215],
    dv: [0.589428317234, 0.793029903299, 0.930403778634, 0.990077541962, 0.080307047582, -0.127292466568, -0.324261500558, -0.494150727379, -0.387324966978, -0.521079877203, -0.611318234988, -0.65050403213, -0.171993050199, -0.174687396943, -0.162793206301, -0.137303788884, -0.057464679049, -0.043144272611, -0.025220790937, -0.005191064291],
    de: [-0.042900545298, -0.034944046126, -0.02225803424, -0.006559501837, -0.211910557809, -0.224649399084, -0.206982998071, -0.16130241927, 0.254811103107, 0.25959344521, 0.229241032311, 0.167861921107],
  };
  const x64 = { q: Float64Array.from(x.q, (_, i) => Math.sin(0.37 * i + 0.1)), k: Float64Array.from(x.k, (_, i) => Math.sin(0.91 * i + 0.5)), v: Float64Array.from(x.v, (_, i) => Math.sin(0.53 * i + 0.2)), e: Float64Array.from(x.e, (_, i) => Math.sin(0.71 * i + 0.3)) };
  const ref = copeForwardRef(x64.q, x64.k, x64.v, x64.e, shape, P, 0.5);
  const refG = copeBackwardRef(Float64Array.from(x.g, (_, i) => Math.sin(0.29 * i + 0.7)), x64.q, x64.k, x64.v, x64.e, shape, P, 0.5);
  assertClose("ref out", ref.out, golden.out, 1e-10, 1e-9);
  assertClose("ref dq", refG.dq, golden.dq, 1e-10, 1e-9);
  assertClose("ref dk", refG.dk, golden.dk, 1e-10, 1e-9);
  assertClose("ref dv", refG.dv, golden.dv, 1e-10, 1e-9);
  assertClose("ref dEmb", refG.dEmb, golden.de, 1e-10, 1e-9);
  const w = runWasm(shape, P, x);
  assertClose("wasm out", w.out, golden.out, 2e-6, 1e-5);
  assertClose("wasm dq", w.dq, golden.dq, 1e-5, 1e-4);
  assertClose("wasm dk", w.dk, golden.dk, 1e-5, 1e-4);
  assertClose("wasm dv", w.dv, golden.dv, 1e-5, 1e-4);
  assertClose("wasm dEmb", w.dEmb, golden.de, 1e-5, 1e-4);
});

test("CoPE wasm forward+backward match the float64 reference (odd sizes)", () => {
  let seed = 40;
  for (const T of [1, 3, 17, 40]) for (const HS of [1, 4, 12]) for (const NH of [1, 3]) for (const B of [1, 2]) for (const P of [1, 4, 16]) {
    if (T === 40 && (B > 1 || NH > 1)) continue;
    const shape = { B, T, NH, HS }, n = B * NH * T * HS;
    const rng = new Rng(seed++);
    const x = { q: randomArray(rng, n, 1.5), k: randomArray(rng, n, 1.5), v: randomArray(rng, n), e: randomArray(rng, P * HS), g: randomArray(rng, n) };
    const w = runWasm(shape, P, x);
    const scale = 1 / Math.sqrt(HS);
    const r = copeForwardRef(x.q, x.k, x.v, x.e, shape, P, scale);
    const g = copeBackwardRef(x.g, x.q, x.k, x.v, x.e, shape, P, scale);
    const what = JSON.stringify({ ...shape, P });
    assertClose(`out ${what}`, w.out, r.out, 2e-6, 2e-5);
    assertClose(`lse ${what}`, w.lse, r.lse, 2e-6, 2e-6);
    assertClose(`dq ${what}`, w.dq, g.dq, 2e-5, 2e-4);
    assertClose(`dk ${what}`, w.dk, g.dk, 2e-5, 2e-4);
    assertClose(`dv ${what}`, w.dv, g.dv, 2e-5, 2e-4);
    assertClose(`dEmb ${what}`, reduceEmb(w.dEmb, B * NH, P, HS), reduceEmb(g.dEmb, B * NH, P, HS), 2e-5, 2e-4);
  }
});

test("CoPE reference backward equals finite differences of its forward", () => {
  const rng = new Rng(9);
  const shape = { B: 1, T: 6, NH: 2, HS: 3 }, P = 4, n = 36;
  const [q, k, v, w] = [0, 1, 2, 3].map(() => Float64Array.from(randomArray(rng, n, 1.5)));
  const e = Float64Array.from(randomArray(rng, P * 3));
  const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array, ee: Float64Array) => {
    const { out } = copeForwardRef(qq, kk, vv, ee, shape, P, 0.6);
    let s = 0;
    for (let i = 0; i < n; i++) s += out[i]! * w![i]!;
    return s;
  };
  const g = copeBackwardRef(w!, q!, k!, v!, e, shape, P, 0.6);
  const fd = (arr: Float64Array, f: (a: Float64Array) => number) => numericGradient(f, arr, 1e-6);
  assertClose("dq", g.dq, fd(q!, (a) => loss(a, k!, v!, e)), 1e-7, 1e-5);
  assertClose("dk", g.dk, fd(k!, (a) => loss(q!, a, v!, e)), 1e-7, 1e-5);
  assertClose("dv", g.dv, fd(v!, (a) => loss(q!, k!, a, e)), 1e-7, 1e-5);
  assertClose("dEmb", reduceEmb(g.dEmb, 2, P, 3), fd(e, (a) => loss(q!, k!, v!, a)), 1e-7, 1e-5);
});

test("CoPE: sub-range calls over B·NH equal one full call (bitwise), and bad input is refused", () => {
  const shape = { B: 2, T: 9, NH: 2, HS: 4 }, P = 5, n = 144;
  const rng = new Rng(2);
  const mark = engine.mark();
  const [q, k, v] = [0, 1, 2].map(() => f32Buffer(engine, n, randomArray(rng, n)));
  const e = f32Buffer(engine, P * 4, randomArray(rng, P * 4));
  const scratch = f32Buffer(engine, 4 * (4 * 9 + 2 * P));
  const outs = [0, 1].map(() => [f32Buffer(engine, n), f32Buffer(engine, 36)] as const);
  const args = (o: readonly [number, number]) => [o[0], o[1], q!, k!, v!, e, scratch, 9, 2, 4, P, 0.5];
  engine.kernels[COPE_FORWARD]!(...args(outs[0]!), 0, 4);
  engine.kernels[COPE_FORWARD]!(...args(outs[1]!), 0, 1);
  engine.kernels[COPE_FORWARD]!(...args(outs[1]!), 1, 4);
  assert.deepEqual(engine.f32(outs[1]![0], n), engine.f32(outs[0]![0], n));
  assert.throws(() => copeForward(engine, outs[0]![0], outs[0]![1], q!, k!, v!, e, shape, { maxPos: 0 }), /copeForward: `maxPos` must be an integer ≥ 1, got 0/);
  engine.f32(e, P * 4)[0] = NaN;
  assert.throws(() => copeForward(engine, outs[0]![0], outs[0]![1], q!, k!, v!, e, shape, { maxPos: P }), /non-finite logsumexp/);
  engine.reset(mark);
});
