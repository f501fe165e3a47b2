import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../errors.js";
import { ropeParamsFromHfConfig } from "./hf-config.js";

const LLAMA31 = {
  hidden_size: 4096, num_attention_heads: 32, rope_theta: 500000.0, max_position_embeddings: 131072, vocab_size: 128256,
  rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: "llama3" },
};

test("v4 rope_scaling (rope_type or type) and v5 rope_parameters give the same params", () => {
  const a = ropeParamsFromHfConfig(LLAMA31);
  const { rope_type, ...rest } = LLAMA31.rope_scaling;
  const b = ropeParamsFromHfConfig({ ...LLAMA31, rope_scaling: { ...rest, type: rope_type } });
  const { rope_theta, rope_scaling, ...top } = LLAMA31;
  const c = ropeParamsFromHfConfig({ ...top, rope_parameters: { ...rope_scaling, rope_theta } });
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
  assert.deepEqual(a, {
    theta: 500000, headDim: 128, partialRotaryFactor: 1, rotaryDim: 128, maxPositionEmbeddings: 131072, resonance: false,
    scaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
  });
});

test("HF defaults and fallbacks", () => {
  // no rope_scaling, no rope_theta → default RoPE, θ = 10000 (HF default_theta)
  const d = ropeParamsFromHfConfig({ hidden_size: 64, num_attention_heads: 4 });
  assert.deepEqual(d, { theta: 10000, headDim: 16, partialRotaryFactor: 1, rotaryDim: 16, maxPositionEmbeddings: null, resonance: false, scaling: { type: "default" } });
  // explicit head_dim wins over hidden_size / num_attention_heads; null head_dim falls back
  assert.equal(ropeParamsFromHfConfig({ hidden_size: 64, num_attention_heads: 4, head_dim: 32 }).headDim, 32);
  assert.equal(ropeParamsFromHfConfig({ hidden_size: 64, num_attention_heads: 4, head_dim: null }).headDim, 16);
  // partial rotary: int(head_dim · p) (Phi-2: 80 · 0.4 = 32); GPT-NeoX aliases
  assert.equal(ropeParamsFromHfConfig({ hidden_size: 2560, num_attention_heads: 32, partial_rotary_factor: 0.4 }).rotaryDim, 32);
  const neox = ropeParamsFromHfConfig({ hidden_size: 6144, num_attention_heads: 64, rotary_pct: 0.25, rotary_emb_base: 10000 });
  assert.equal(neox.rotaryDim, 24);
  // YaRN: defaults β = 32/1, truncate true; original_max ← max_position_embeddings; factor null ← max / original
  const y = ropeParamsFromHfConfig({ hidden_size: 128, num_attention_heads: 1, max_position_embeddings: 4096, rope_scaling: { type: "yarn", factor: 4 } });
  assert.deepEqual(y.scaling, { type: "yarn", factor: 4, originalMaxPositionEmbeddings: 4096, betaFast: 32, betaSlow: 1, mscale: null, mscaleAllDim: null, attentionFactor: null, truncate: true });
  const yn = ropeParamsFromHfConfig({ hidden_size: 128, num_attention_heads: 1, max_position_embeddings: 131072, rope_scaling: { rope_type: "yarn", factor: null, original_max_position_embeddings: 32768 } });
  assert.equal(yn.scaling.type === "yarn" && yn.scaling.factor, 4);
  // Phi-3: original_max_position_embeddings at top level; longrope factor ← 131072 / 4096
  const phi = ropeParamsFromHfConfig({
    hidden_size: 96, num_attention_heads: 1, max_position_embeddings: 131072, original_max_position_embeddings: 4096,
    rope_scaling: { type: "longrope", short_factor: Array(48).fill(1), long_factor: Array(48).fill(2) },
  });
  assert.ok(phi.scaling.type === "longrope" && phi.scaling.factor === 32 && phi.scaling.originalMaxPositionEmbeddings === 4096);
  // v5 per-layer rope_parameters (Gemma-style) with a chosen layer type
  const nested = { hidden_size: 2048, num_attention_heads: 8, head_dim: 256, max_position_embeddings: 131072,
    rope_parameters: { full_attention: { rope_type: "proportional", rope_theta: 1e6, partial_rotary_factor: 0.25 }, sliding_attention: { rope_type: "default", rope_theta: 10000 } } };
  const full = ropeParamsFromHfConfig(nested, { layerType: "full_attention" });
  assert.ok(full.scaling.type === "proportional" && full.theta === 1e6 && full.partialRotaryFactor === 0.25 && full.rotaryDim === 256);
  assert.equal(ropeParamsFromHfConfig(nested, { layerType: "sliding_attention" }).theta, 10000);
});

/** Every bad config → ExtraposError whose message names the field, and says where. */
const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
  ["unknown type", { ...LLAMA31, rope_scaling: { rope_type: "llama4", factor: 8 } }, /unknown RoPE type "llama4" in `rope_scaling`/],
  ["Phi-3 'su'", { ...LLAMA31, rope_scaling: { type: "su" } }, /"su" is Phi-3's old name for "longrope"/],
  ["type ≠ rope_type", { ...LLAMA31, rope_scaling: { ...LLAMA31.rope_scaling, type: "linear" } }, /`rope_scaling.rope_type` and `rope_scaling.type` disagree/],
  ["missing factor", { ...LLAMA31, rope_scaling: { rope_type: "linear" } }, /needs `rope_scaling.factor`, got none/],
  ["missing llama3 key", { ...LLAMA31, rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, original_max_position_embeddings: 8192 } }, /needs `rope_scaling.high_freq_factor`/],
  ["factor 0", { ...LLAMA31, rope_scaling: { type: "linear", factor: 0 } }, /`rope_scaling.factor` must be a finite number ≥ 1, got 0 \(in config.json\)/],
  ["factor < 1", { ...LLAMA31, rope_scaling: { type: "dynamic", factor: 0.5 } }, /`rope_scaling.factor` must be a finite number ≥ 1, got 0.5/],
  ["factor negative", { ...LLAMA31, rope_scaling: { type: "yarn", factor: -2 } }, /`rope_scaling.factor` must be a finite number ≥ 1, got -2/],
  ["factor string", { ...LLAMA31, rope_scaling: { type: "linear", factor: "8" } }, /`rope_scaling.factor` must be a finite number ≥ 1, got "8"/],
  ["factor null (linear)", { ...LLAMA31, rope_scaling: { type: "linear", factor: null } }, /`rope_scaling.factor` must be a finite number ≥ 1, got null/],
  ["unknown key", { ...LLAMA31, rope_scaling: { ...LLAMA31.rope_scaling, alpha: 2 } }, /unknown key `rope_scaling.alpha` for rope_type "llama3"/],
  ["key of another type", { ...LLAMA31, rope_scaling: { type: "linear", factor: 2, beta_fast: 32 } }, /unknown key `rope_scaling.beta_fast` for rope_type "linear"/],
  ["high ≤ low", { ...LLAMA31, rope_scaling: { ...LLAMA31.rope_scaling, high_freq_factor: 1 } }, /`rope_scaling.high_freq_factor` must be > `rope_scaling.low_freq_factor`/],
  ["llama3 original ≥ max", { ...LLAMA31, max_position_embeddings: 8192 }, /`rope_scaling.original_max_position_embeddings` must be < `max_position_embeddings`, got 8192 ≥ 8192/],
  ["beta_fast < beta_slow", { ...LLAMA31, rope_scaling: { type: "yarn", factor: 4, beta_fast: 1, beta_slow: 32 } }, /`rope_scaling.beta_fast` must be ≥ `rope_scaling.beta_slow`/],
  ["attention_factor 0", { ...LLAMA31, rope_scaling: { type: "yarn", factor: 4, attention_factor: 0 } }, /`rope_scaling.attention_factor` must be a finite number > 0, got 0/],
  ["truncate string", { ...LLAMA31, rope_scaling: { type: "yarn", factor: 4, truncate: "no" } }, /`rope_scaling.truncate` must be true or false/],
  ["longrope wrong length", { ...LLAMA31, rope_scaling: { type: "longrope", short_factor: [1, 1], long_factor: Array(64).fill(1) } }, /`rope_scaling.short_factor` must have length 64 \(rotary dim \/ 2\), got 2/],
  ["longrope non-finite", { ...LLAMA31, rope_scaling: { type: "longrope", short_factor: Array(64).fill(1), long_factor: [...Array(63).fill(1), null] } }, /`rope_scaling.long_factor\[63\]` must be a finite number > 0, got null/],
  ["conflicting original max", { ...LLAMA31, original_max_position_embeddings: 4096 }, /`original_max_position_embeddings` and `rope_scaling.original_max_position_embeddings` disagree/],
  ["conflicting theta", { hidden_size: 64, num_attention_heads: 4, rope_theta: 1e4, rope_parameters: { rope_type: "default", rope_theta: 1e6 } }, /`rope_parameters.rope_theta` and `rope_theta` disagree/],
  ["both dicts", { ...LLAMA31, rope_parameters: { rope_type: "default" } }, /either `rope_scaling` \(v4\) or `rope_parameters` \(v5\)/],
  ["theta ≤ 1", { ...LLAMA31, rope_theta: 0 }, /`rope_theta` must be a finite number > 1, got 0/],
  ["odd rotary dim", { hidden_size: 128, num_attention_heads: 1, partial_rotary_factor: 0.4 }, /rotary dim .* must be an even integer ≥ 2, got 51/],
  ["partial factor > 1", { hidden_size: 128, num_attention_heads: 1, partial_rotary_factor: 1.5 }, /`partial_rotary_factor` must be a number in \(0, 1\], got 1.5/],
  ["no head size", { rope_theta: 10000 }, /`hidden_size` must be an integer ≥ 1 \(no `head_dim` given\), got undefined/],
  ["dynamic without max", { hidden_size: 128, num_attention_heads: 1, rope_scaling: { type: "dynamic", factor: 2 } }, /dynamic RoPE scaling needs `max_position_embeddings`/],
  ["dynamic with original", { ...LLAMA31, rope_scaling: { type: "dynamic", factor: 2, original_max_position_embeddings: 4096 } }, /unknown key `rope_scaling.original_max_position_embeddings` for rope_type "dynamic"/],
  ["yarn null factor, no max", { hidden_size: 128, num_attention_heads: 1, rope_scaling: { type: "yarn", factor: null, original_max_position_embeddings: 4096 } }, /`rope_scaling.factor` is null and cannot be derived/],
  ["GPT-J rotary_dim", { ...LLAMA31, rotary_dim: 64 }, /`rotary_dim` \(GPT-J style\) is not supported/],
  ["per-layer without choice", { hidden_size: 128, num_attention_heads: 1, rope_parameters: { full_attention: { rope_type: "default" }, sliding_attention: { rope_type: "default" } } }, /per layer type; choose one of full_attention, sliding_attention/],
  ["not an object", [1, 2] as unknown as Record<string, unknown>, /the model config must be a JSON object/],
  ["scaling not an object", { ...LLAMA31, rope_scaling: "yarn" }, /`rope_scaling` must be an object or null, got "yarn"/],
];

test("bad configs → ExtraposError naming the field (catalogue)", () => {
  for (const [label, cfg, re] of BAD) {
    assert.throws(
      () => ropeParamsFromHfConfig(cfg, { source: "config.json" }),
      (e: unknown) => {
        assert.ok(e instanceof ExtraposError, `${label}: not an ExtraposError: ${e}`);
        assert.match(e.message, re, label);
        assert.match(e.message, /\(in config\.json\)$/, `${label}: source missing`);
        assert.ok(!e.message.includes("\n"), `${label}: multi-line message`);
        return true;
      },
      label,
    );
  }
});
