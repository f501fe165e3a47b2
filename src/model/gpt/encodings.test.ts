/**
 * Every encoding on the engine against the float64 reference forward (src/model/reference.ts with the
 * encoding's hooks built from src/pe; CoPE: the float64 decoder, decoder.ts), on a tiny config
 * (d 16, 2 layers, 2 heads, T 12, B 2):
 * (1) logits equal the reference's; (2) the gradient of the loss with respect to every encoding
 * parameter tensor (a few coordinates each) equals a central finite difference of the float64
 * reference loss; (3) a few AdamW steps on a repeated batch lower the loss and move the encoding's
 * parameters. Randomized positions and the attention window are covered the same way.
 *
 * Tolerances (measured, then ~10× headroom): logits abs 2e-5 + rel 2e-5 (float32 engine vs float64
 * reference over 2 layers with std-0.3 weights: |logit| ≤ 5.4, measured max |diff| 2.8e-6); gradients
 * abs 2e-5 + rel 5e-3 against the finite difference (float32 gradients of a float32 forward, measured
 * max |diff| 7e-7; the difference quotient itself is float64, step 1e-3: truncation error ~1e-7).
 * Finite differences cover every element of tensors up to 64 elements, 8 spread elements of larger
 * ones, and each encoding must have some |gradient| > 1e-3 (so the comparison is not of zeros).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodingParamNames, initParams, paramTable } from "../params.js";
import { referenceForward } from "../reference.js";
import { assertClose, assertGradientsMatchDifferences, trainRepeated, gradientsAndReferenceLoss, LOGITS, maxAbsDiff, randomIds, randomParams, referenceLogits, tinyConfig, tinyModel } from "./testing.js";

const B = 2, T = 12, V = 256;

interface Case { name: string; pe: unknown; extra?: Record<string, unknown>; fireL?: number }
const CASES: Case[] = [
  { name: "xpos (interleaved)", pe: "xpos" },
  { name: "xpos (half, partial rotary 4)", pe: { kind: "xpos", layout: "half", rotary_dim: 4, scale_base: 16 } },
  { name: "rope (interleaved, partial 4, theta 500)", pe: { kind: "rope", layout: "interleaved", rotary_dim: 4, theta: 500 } },
  { name: "t5 (8 buckets, max distance 6: log buckets in use)", pe: { kind: "t5", num_buckets: 8, max_distance: 6 } },
  { name: "kerple-log", pe: "kerple-log" },
  { name: "kerple-power", pe: "kerple-power" },
  { name: "fire (Toeplitz: positions < L = 512)", pe: { kind: "fire", hidden: 8 } },
  { name: "fire (dense: L = 4 < positions)", pe: { kind: "fire", hidden: 8, init_l: 4 } },
  { name: "sandwich", pe: "sandwich" },
  { name: "dynamic-bias", pe: { kind: "dynamic-bias", hidden: 8 } },
  { name: "dynamic-bias (log distance, depth 1)", pe: { kind: "dynamic-bias", hidden: 6, depth: 1, log_distance: true } },
  { name: "cope", pe: { kind: "cope", max_pos: 5 } },
  { name: "transformer-xl", pe: "transformer-xl" },
  { name: "transformer-xl (untie_r, clamp_len 4)", pe: { kind: "transformer-xl", untie_r: true, clamp_len: 4 } },
  { name: "adaptive", pe: "adaptive" },
  { name: "adaptive, length_mode fixed (L = 7 < T)", pe: { kind: "adaptive", length_mode: "fixed", length: 7 } },
  { name: "adaptive, length_mode window (W = 5 < T: negative positions)", pe: { kind: "adaptive", length_mode: "window", window: 5 } },
  { name: "alibi, window 4", pe: "alibi", extra: { window: 4 } },
  { name: "rope, window 3", pe: "rope", extra: { window: 3 } },
  { name: "kerple-log, window 5", pe: "kerple-log", extra: { window: 5 } },
];

const ids = randomIds(B * T, V, 11), targets = randomIds(B * T, V, 12);

for (const c of CASES) {
  const cfg = tinyConfig(c.pe, c.extra);

  test(`${c.name}: engine logits = float64 reference logits`, () => {
    const model = tinyModel(cfg, randomParams(cfg, 1, c.fireL));
    const params = model.snapshot();
    const ref = referenceLogits(model, params, ids, B, T);
    assertClose(`${c.name} logits`, model.logits(ids, B, T), ref, LOGITS.abs, LOGITS.rel);
    // input sanity: the encoding matters (moving a token changes later logits differently than NoPE would)
    const own = encodingParamNames(cfg);
    const none = tinyModel(tinyConfig("nope", c.extra), new Map([...params].filter(([n]) => !own.has(n))));
    assert.ok(maxAbsDiff(none.logits(ids, B, T), ref) > 1e-3, `${c.name}: the encoding changes the logits`);
  });

  const encodingParams = paramTable(cfg).filter((p) => encodingParamNames(cfg).has(p.name));
  if (encodingParams.length > 0) {
    test(`${c.name}: gradient of every encoding parameter = finite difference of the float64 loss`, () => {
      const r = gradientsAndReferenceLoss(tinyModel(cfg, randomParams(cfg, 2, c.fireL)), { B, T, inputs: ids, targets });
      assertGradientsMatchDifferences(c.name, encodingParams.map((p) => p.name), r);
    });
  }

  test(`${c.name}: AdamW on a repeated batch lowers the loss and trains the encoding's parameters`, () => {
    const model = tinyModel(cfg, initParams(paramTable(cfg), 3));
    const { before, losses } = trainRepeated(model, { B, T, inputs: ids, targets });
    assert.ok(losses[7]! < losses[0]! - 0.05, `${c.name}: losses ${losses.map((l) => l.toFixed(4)).join(", ")}`);
    for (const p of model.parameters()) {
      if (encodingParamNames(cfg).has(p.name)) assert.ok(maxAbsDiff(p.data, before.get(p.name)!) > 0, `${p.name} was updated`);
    }
  });
}

test("properties: xPos with a huge scale_base is RoPE; a window changes logits; chunked dense FIRE = one chunk", () => {
  const rope = tinyConfig({ kind: "rope", layout: "interleaved" }), xpos = tinyConfig({ kind: "xpos", layout: "interleaved", scale_base: 1e9 });
  const params = randomParams(rope, 5);
  const ropeLogits = tinyModel(rope, params).logits(ids, B, T);
  assertClose("xpos(scale_base 1e9) vs rope", tinyModel(xpos, params).logits(ids, B, T), ropeLogits, 1e-5, 1e-5);
  assert.ok(maxAbsDiff(tinyModel(tinyConfig({ kind: "xpos", layout: "interleaved", scale_base: 8 }), params).logits(ids, B, T), ropeLogits) > 1e-3, "a small scale_base decays");
  assert.ok(maxAbsDiff(tinyModel(tinyConfig("rope", { window: 3 }), params).logits(ids, B, T), tinyModel(tinyConfig("rope"), params).logits(ids, B, T)) > 1e-3, "window 3 differs from full attention");
  const fire = tinyConfig({ kind: "fire", hidden: 8, init_l: 4 });
  const fp = randomParams(fire, 6);
  const whole = tinyModel(fire, fp).logits(ids, B, T);
  assertClose("fire dense, query chunks of 5", tinyModel(fire, fp, undefined, 5).logits(ids, B, T), whole, 0, 0);
  assertClose("fire dense vs reference", whole, referenceLogits(tinyModel(fire, fp), fp, ids, B, T), LOGITS.abs, LOGITS.rel);
});

test("adaptive length modes: fixed L = T is the seed's sequence reading; window W ≥ T is fixed L = W; fixed does not depend on T, sequence does", () => {
  const seq = tinyConfig("adaptive"), params = randomParams(seq, 8);
  const logits = (pe: unknown, n = T): Float32Array => {
    const cut = Int32Array.from({ length: B * n }, (_, i) => ids[Math.floor(i / n) * T + (i % n)]!);
    return tinyModel(tinyConfig(pe), params).logits(cut, B, n);
  };
  assertClose("fixed L = T vs sequence", logits({ kind: "adaptive", length_mode: "fixed", length: T }), logits("adaptive"), 0, 0);
  assertClose("window W = 20 ≥ T vs fixed L = 20", logits({ kind: "adaptive", length_mode: "window", window: 20 }), logits({ kind: "adaptive", length_mode: "fixed", length: 20 }), 0, 0);
  // causal attention + an encoding that does not move with T: the first 7 tokens' logits do not depend on what follows
  const rows = (x: Float32Array, n: number): Float32Array => Float32Array.from({ length: B * 7 * V }, (_, i) => x[Math.floor(i / (7 * V)) * n * V + (i % (7 * V))]!);
  const fixed = { kind: "adaptive", length_mode: "fixed", length: 9 };
  assertClose("fixed: prefix of 7 inside 12 = alone", rows(logits(fixed), T), rows(logits(fixed, 7), 7), 1e-6, 1e-6);
  assert.ok(maxAbsDiff(rows(logits("adaptive"), T), rows(logits("adaptive", 7), 7)) > 1e-3, "sequence: L = T moves every position");
});

test("our hooks for the built-in encodings agree with the reference's own (rope, alibi, sinusoidal, learned, none)", () => {
  for (const pe of ["rope", { kind: "rope", layout: "interleaved", rotary_dim: 6, theta: 300 }, "alibi", "sinusoidal", "learned", "none"]) {
    const cfg = tinyConfig(pe);
    const params = randomParams(cfg, 7);
    const model = tinyModel(cfg, params);
    assertClose(`hooks ${JSON.stringify(pe)}`, referenceLogits(model, params, ids, B, T), referenceForward(cfg, params, ids, B, T), 1e-9, 1e-9);
  }
});
