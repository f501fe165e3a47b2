import { test } from "node:test";
import assert from "node:assert/strict";
import { dynamicBiasBackward, dynamicBiasForward, dynamicBiasInit, dynamicBiasTable, type DynamicBiasParams } from "./dynamic-bias.js";
import { assertClose } from "../testing/assert-close.js";
import { dot, finiteDifference } from "../testing/finite-difference.js";
import { fixture, randomArray } from "./testing.js";

// Golden: test/fixtures/pe/dynamic-bias.json from python3 + torch (float64) with make_fixtures.py, which transcribes
// x-transformers' DynamicPositionBias.forward (norm=False, depth 2, with and without log distance).
const fx = fixture("dynamic-bias.json");

function fixtureParams(c: any, logDistance: boolean): DynamicBiasParams {
  return { logDistance, mlp: c.layers.map((l: any) => ({ weight: Float64Array.from(l.weight), bias: Float64Array.from(l.bias), inDim: l.in, outDim: l.out })) };
}

test("forward and MLP gradients equal the reference (linear and log distance)", () => {
  for (const [key, logDistance] of [["linear", false], ["log", true]] as const) {
    const c = fx[key];
    const p = fixtureParams(c, logDistance);
    const pos = Array.from({ length: c.n }, (_, i) => i);
    assertClose(`${key} bias`, dynamicBiasForward(p, pos, pos), c.bias, 1e-14, 1e-12);
    const g = dynamicBiasBackward(Float64Array.from(c.G.flat(2)), p, pos, pos);
    c.grads.forEach((gr: any, l: number) => {
      assertClose(`${key} dW${l}`, g.dMlp[l]!.dWeight, gr.weight, 1e-12, 1e-11);
      assertClose(`${key} dB${l}`, g.dMlp[l]!.dBias, gr.bias, 1e-12, 1e-11);
    });
  }
});

test("gradients by finite differences (odd sizes, depth 1 and 3, arbitrary positions)", () => {
  for (const [H, width, depth, q, k] of [[1, 1, 1, [0], [0]], [3, 5, 3, [2, 4, 9], [0, 1, 4, 9, 11]], [2, 17, 1, [0, 6, 13], [0, 3, 6, 13]]] as const) {
    const p = dynamicBiasInit(H, 4, { width, depth, logDistance: depth === 3 });
    const G = randomArray(H * q.length * k.length, 8);
    const g = dynamicBiasBackward(G, p, q, k);
    p.mlp.forEach((l, li) => {
      for (const [name, arr, grad] of [["w", l.weight, g.dMlp[li]!.dWeight], ["b", l.bias, g.dMlp[li]!.dBias]] as const) {
        for (let i = 0; i < arr.length; i++) {
          const fd = finiteDifference(() => dot(dynamicBiasForward(p, q, k), G), { get: () => arr[i]!, set: (v) => (arr[i] = v) }, 1e-6);
          assertClose(`H=${H} ${name}${li}[${i}]`, [grad[i]!], [fd], 1e-7, 1e-6);
        }
      }
    });
  }
});

test("the bias depends only on the signed distance q − k (table column = r + maxDistance)", () => {
  const p = dynamicBiasInit(3, 1, { width: 8 });
  const q = [10, 11, 15], k = [7, 10, 13, 16];
  const b = dynamicBiasForward(p, q, k), t = dynamicBiasTable(p, 20);
  for (let h = 0; h < 3; h++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) {
    assert.equal(b[(h * 3 + i) * 4 + j], t[h * 41 + q[i]! - k[j]! + 20]);
  }
  assert.throws(() => dynamicBiasInit(2, 0, { width: 0 }), /`width`/);
});
