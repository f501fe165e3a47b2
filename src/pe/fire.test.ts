import { test } from "node:test";
import assert from "node:assert/strict";
import { fireBackward, fireDistanceTable, fireDistanceTableBackward, fireForward, fireInit, fireThreshold, type FireParams } from "./fire.js";
import { assertClose } from "../testing/assert-close.js";
import { dot, finiteDifference } from "../testing/finite-difference.js";
import { fixture, randomArray } from "./testing.js";

// Golden: test/fixtures/pe/fire.json from python3 + torch (float64) with make_fixtures.py, which transcribes
// mcleish7/arithmetic's FIRE.forward (positions 0..7, threshold 4 so that queries 0..4 use L and 5..7 their own
// position, and position 4 ties with L); autograd gives every gradient.
const fx = fixture("fire.json");

function fixtureParams(): FireParams {
  return {
    mlp: [
      { weight: Float64Array.from(fx.w1), bias: Float64Array.from(fx.b1), inDim: 1, outDim: fx.W },
      { weight: Float64Array.from(fx.w2), bias: Float64Array.from(fx.b2), inDim: fx.W, outDim: fx.H },
    ],
    c: fx.c, lMultiplier: fx.lMultiplier, initL: fx.initL, eps: fx.eps,
  };
}

test("forward and every gradient equal the reference (incl. the ½/½ split of max(q, L) at the tie q = L)", () => {
  const p = fixtureParams();
  assert.equal(fireThreshold(p), 4); // input sanity: the golden assumes L = 4
  assertClose("values", fireForward(p, fx.positions, fx.positions), fx.bias, 1e-14, 1e-12);
  const g = fireBackward(Float64Array.from(fx.G.flat(2)), p, fx.positions, fx.positions);
  assertClose("dW1", g.dMlp[0]!.dWeight, fx.dW1, 1e-12, 1e-11);
  assertClose("dB1", g.dMlp[0]!.dBias, fx.dB1, 1e-12, 1e-11);
  assertClose("dW2", g.dMlp[1]!.dWeight, fx.dW2, 1e-12, 1e-11);
  assertClose("dB2", g.dMlp[1]!.dBias, fx.dB2, 1e-12, 1e-11);
  assertClose("dC", [g.dC], [fx.dC], 1e-12, 1e-11);
  assertClose("dLMultiplier", [g.dLMultiplier], [fx.dLMultiplier], 1e-12, 1e-11);
});

function allParams(p: FireParams): Array<[() => number, (v: number) => void, string]> {
  const out: Array<[() => number, (v: number) => void, string]> = [];
  p.mlp.forEach((l, li) => {
    for (const [name, arr] of [["w", l.weight], ["b", l.bias]] as const) {
      for (let i = 0; i < arr.length; i++) out.push([() => arr[i]!, (v) => (arr[i] = v), `${name}${li}[${i}]`]);
    }
  });
  out.push([() => p.c, (v) => (p.c = v), "c"], [() => p.lMultiplier, (v) => (p.lMultiplier = v), "lMultiplier"]);
  return out;
}

test("gradients by finite differences (odd sizes, query positions on both sides of L, no ties)", () => {
  for (const [H, width, q, k] of [[1, 3, [0.5], [0.25]], [3, 5, [1, 2, 9.5], [0, 1, 2, 7, 9.5]], [2, 17, [3.5, 20, 41], [0, 3, 11, 20, 33, 41]]] as const) {
    const p = fireInit(H, 5, { width, initL: 8 });
    p.mlp[0]!.bias.set(randomArray(width, 9).map((v) => v * 0.3)); // keep ReLU kinks away from the sampled inputs
    const G = randomArray(H * q.length * k.length, 3);
    const g = fireBackward(G, p, q, k);
    const analytic = [...g.dMlp.flatMap((l) => [...l.dWeight, ...l.dBias]), g.dC, g.dLMultiplier];
    allParams(p).forEach(([get, set, name], n) => {
      const fd = finiteDifference(() => dot(fireForward(p, q, k), G), { get: get, set: set }, 1e-6);
      assertClose(`H=${H} ${name}`, [analytic[n]!], [fd], 1e-7, 1e-6);
    });
  }
});

test("distance table = the full bias for every query below L, and its backward equals the full backward there", () => {
  const p = fireInit(4, 11, { initL: 64 });
  const q = Array.from({ length: 40 }, (_, i) => i);
  const full = fireForward(p, q, q);
  const table = fireDistanceTable(p, 39);
  for (let h = 0; h < 4; h++) for (let i = 0; i < 40; i++) for (let j = 0; j <= i; j++) {
    assert.equal(full[(h * 40 + i) * 40 + j], table[h * 40 + (i - j)]);
  }
  const dTable = randomArray(4 * 40, 2);
  const viaTable = fireDistanceTableBackward(dTable, p, 39);
  const fdC = finiteDifference(() => dot(fireDistanceTable(p, 39), dTable), { get: () => p.c, set: (v) => (p.c = v) }, 1e-6);
  assertClose("table dC", [viaTable.dC], [fdC], 1e-7, 1e-6);
  const fdL = finiteDifference(() => dot(fireDistanceTable(p, 39), dTable), { get: () => p.lMultiplier, set: (v) => (p.lMultiplier = v) }, 1e-6);
  assertClose("table dLMultiplier", [viaTable.dLMultiplier], [fdL], 1e-7, 1e-6);
});

test("progressive interpolation: for causal pairs the MLP input lies in [0, 1] at any length", () => {
  // With an identity-like MLP (1→1→1, weight 1, bias 0) the bias is the MLP input itself.
  const p: FireParams = { mlp: [{ weight: Float64Array.of(1), bias: Float64Array.of(0), inDim: 1, outDim: 1 }, { weight: Float64Array.of(1), bias: Float64Array.of(0), inDim: 1, outDim: 1 }], c: 0.1, lMultiplier: 1, initL: 16, eps: 1e-6 };
  const q = Array.from({ length: 300 }, (_, i) => i * 7);
  const b = fireForward(p, q, q);
  for (let i = 0; i < 300; i++) for (let j = 0; j <= i; j++) {
    const x = b[i * 300 + j]!;
    assert.ok(x >= 0 && x <= 1, `x=${x}`);
  }
  // the longest causal distance of a long query normalises to ≈ 1
  assertClose("values", [b[299 * 300]!], [Math.log(0.1 * 2093 + 1) / (Math.log(0.1 * 2093 + 1) + 1e-6)], 1e-15, 0);
});
