import { test } from "node:test";
import assert from "node:assert/strict";
import { computeRope, computeRopeFrequencies } from "./compute.js";
import { makeRopeParams, validateRopeParams } from "./params.js";
import { defaultInvFreq } from "./inv-freq.js";
import { ropeCosSin } from "./apply.js";

const LONGROPE = makeRopeParams({ headDim: 4, maxPositionEmbeddings: 64,
  scaling: { type: "longrope", shortFactor: [1, 1], longFactor: [2, 4], factor: 4, originalMaxPositionEmbeddings: 16 } });

test("computeRope: seqLen defaults to max(position) + 1, as HF's forward (longrope switches at L + 1)", () => {
  const inv = defaultInvFreq(10000, 4);
  const atL = computeRope(LONGROPE, { positions: [0, 15] }); // seq_len 16 = L → short factors
  assert.deepEqual(Array.from(atL.invFreq), Array.from(inv));
  const past = computeRope(LONGROPE, { positions: [3, 16, 0] }); // seq_len 17 > L → long factors
  assert.deepEqual(Array.from(past.invFreq), [inv[0]! / 2, inv[1]! / 4]);
  const forced = computeRope(LONGROPE, { positions: [16], seqLen: 8 }); // explicit seqLen wins
  assert.deepEqual(Array.from(forced.invFreq), Array.from(inv));
  // cos/sin present only with positions, equal to ropeCosSin with the attention factor sqrt(1 + ln 4 / ln 16) = sqrt(1.5)
  assert.ok(Math.abs(past.attentionFactor - Math.sqrt(1.5)) < 1e-15);
  const t = ropeCosSin(past.invFreq, [3, 16, 0], past.attentionFactor);
  assert.deepEqual(past.cos, t.cos);
  assert.deepEqual(past.sin, t.sin);
  assert.equal(past.rotaryDim, 4);
  const none = computeRope(LONGROPE);
  assert.equal(none.cos, undefined);
  assert.equal(none.sin, undefined);
});

test("makeRopeParams fills defaults; API errors name camelCase fields", () => {
  const p = makeRopeParams({ headDim: 64, scaling: { type: "yarn", factor: 2, originalMaxPositionEmbeddings: 2048 } });
  assert.deepEqual(p.scaling, { type: "yarn", factor: 2, originalMaxPositionEmbeddings: 2048, betaFast: 32, betaSlow: 1, mscale: null, mscaleAllDim: null, attentionFactor: null, truncate: true });
  assert.throws(() => makeRopeParams({ headDim: 64, scaling: { type: "linear", factor: 2, alpha: 1 } }), /unknown key `alpha` for RoPE type "linear"/);
  assert.throws(() => makeRopeParams({ headDim: 64, scaling: { type: "wavy" as "linear" } }), /`type` must be one of default, linear, dynamic, ntk, yarn, longrope, llama3, proportional, got "wavy"/);
  assert.throws(() => makeRopeParams({ headDim: 64, scaling: { type: "yarn", factor: 2 } }), /needs `originalMaxPositionEmbeddings`/);
  assert.throws(() => makeRopeParams({ headDim: 7 }), /rotary dim/);
  assert.throws(() => makeRopeParams({ headDim: 64, scaling: { type: "ntk", factor: 2 }, partialRotaryFactor: 1 / 32 }), /must be ≥ 4 for NTK/);
  // a hand-built object is validated when computed
  assert.throws(() => computeRopeFrequencies({ ...p, rotaryDim: 32 }), /`rotaryDim` must be 64/);
  const badScaling = { ...p.scaling, factor: Infinity };
  assert.throws(() => validateRopeParams({ ...p, scaling: badScaling }), /`factor` must be a finite number ≥ 1, got Infinity/);
  assert.throws(() => computeRopeFrequencies(p, { precision: "float16" as "float32" }), /`precision` must be "float64" or "float32"/);
  assert.throws(() => computeRopeFrequencies(LONGROPE, { seqLen: 0 }), /`seqLen` must be an integer ≥ 1, got 0/);
});
