import { test } from "node:test";
import assert from "node:assert/strict";
import { copeBackward, copeForward, copePositions } from "./cope.js";
import { assertClose } from "../testing/assert-close.js";
import { dot, finiteDifference } from "../testing/finite-difference.js";
import { fixture, randomArray } from "./testing.js";

// Golden: test/fixtures/pe/cope.json from python3 + torch (float64) with make_fixtures.py, which transcribes
// x-transformers' CoPE.forward (T=7, d=4, maxPos=4 so that some positions are clamped); autograd gives the gradients.
const fx = fixture("cope.json");

test("output (on and below the diagonal) and gradients equal the reference", () => {
  const s = { T: fx.T, dim: fx.d, maxPos: fx.maxPos };
  const gates = Float64Array.from(fx.gates.flat());
  const out = copeForward(fx.q, fx.emb, gates, s);
  const ref = fx.out.flat() as number[];
  for (let i = 0; i < s.T; i++) for (let j = 0; j <= i; j++) assertClose(`out[${i},${j}]`, [out[i * s.T + j]!], [ref[i * s.T + j]!], 1e-14, 1e-12);
  const g = copeBackward(Float64Array.from(fx.G.flat()), fx.q, fx.emb, gates, s);
  assertClose("dQ", g.dQ, fx.dQ, 1e-12, 1e-11);
  assertClose("dEmb", g.dEmb, fx.dEmb, 1e-12, 1e-11);
  // Above the diagonal torch also reports gradients (its sums run over the masked gates too, whose values are 0);
  // those gates are constants of the causal mask in the model, so only j ≤ i is compared (ours are 0 there).
  const dg = fx.dGates.flat() as number[];
  for (let i = 0; i < s.T; i++) for (let j = 0; j <= i; j++) assertClose(`dGates[${i},${j}]`, [g.dGates[i * s.T + j]!], [dg[i * s.T + j]!], 1e-12, 1e-11);
});

test("positions: reverse cumulative sums of the gates, clamped (hand-computed)", () => {
  // row 1: p_11 = g_11 = 1, p_10 = g_10 + g_11 = 1.5; row 2: 0.25, 0.25+0.75, 1+0.25+0.75 = 2 → clamped to maxPos−1 = 1.5? no: maxPos 3 → 2
  const g = Float64Array.of(1, 0, 0, 0.5, 1, 0, 1, 0.75, 0.25);
  assertClose("values", copePositions(g, { T: 3, dim: 1, maxPos: 3 }), [1, 0, 0, 1.5, 1, 0, 2, 1, 0.25], 0, 0);
  assertClose("values", copePositions(g, { T: 3, dim: 1, maxPos: 2 }), [1, 0, 0, 1, 1, 0, 1, 1, 0.25], 0, 0);
  assert.throws(() => copePositions(Float64Array.of(1.5), { T: 1, dim: 1, maxPos: 4 }), /`gates\[0, 0\]` must be in \[0, 1\]/);
});

test("all-ones gates give the ordinary relative position i − j + 1 (CoPE reduces to a relative PE)", () => {
  const T = 6, s = { T, dim: 1, maxPos: 10 };
  const g = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) g[i * T + j] = 1;
  const p = copePositions(g, s);
  for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) assert.equal(p[i * T + j], i - j + 1);
});

test("gradients by finite differences (odd sizes; gates kept away from integer and clamp kinks)", () => {
  for (const [T, d, maxPos] of [[1, 1, 2], [3, 5, 3], [9, 3, 17]] as const) {
    const s = { T, dim: d, maxPos };
    const q = randomArray(T * d, 1), emb = randomArray(maxPos * d, 2);
    const gates = new Float64Array(T * T);
    const r = randomArray(T * T, 3);
    for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) gates[i * T + j] = 0.2 + 0.27 * (r[i * T + j]! + 1); // in [0.2, 0.74]
    const G = randomArray(T * T, 4);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) G[i * T + j] = 0;
    const g = copeBackward(G, q, emb, gates, s);
    const loss = () => dot(copeForward(q, emb, gates, s), G);
    for (const [name, arr, grad] of [["q", q, g.dQ], ["emb", emb, g.dEmb]] as const) {
      for (let i = 0; i < arr.length; i++) assertClose(`${name}[${i}]`, [grad[i]!], [finiteDifference(loss, { get: () => arr[i]!, set: (v) => (arr[i] = v) }, 1e-6)], 1e-7, 1e-6);
    }
    for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) {
      const e = i * T + j;
      const sums = copePositions(gates, s);
      if (Math.abs(sums[e]! - Math.round(sums[e]!)) < 1e-4) continue; // kink of the interpolation
      assertClose(`gates[${i},${j}]`, [g.dGates[e]!], [finiteDifference(loss, { get: () => gates[e]!, set: (v) => (gates[e] = v) }, 1e-7)], 1e-6, 1e-5);
    }
  }
});
