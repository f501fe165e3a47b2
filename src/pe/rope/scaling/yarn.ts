/**
 * YaRN: NTK-by-parts interpolation plus an attention temperature.
 *
 * Formula: fcd(r) = d·ln(L/(2π·r)) / (2·ln θ)  (pair index whose wavelength fits r rotations in L);
 *   low = fcd(β_fast), high = fcd(β_slow) (floor / ceil when truncate), clamped to [0, d−1];
 *   ramp_i = clamp((i − low)/(high − low), 0, 1) (high += 0.001 if equal), i < d/2;
 *   e_i = 1 − ramp_i (extrapolation weight);
 *   inv_freq_i = (θ_i/s)·(1 − e_i) + θ_i·e_i, θ_i = 1/θ^(2i/d);
 *   attention factor = attentionFactor if given, else get_mscale(s, mscale)/get_mscale(s, mscaleAllDim)
 *   if both are non-zero, else get_mscale(s) with get_mscale(s, m) = 0.1·m·ln s + 1 (1 if s ≤ 1).
 *   Example (d = 128, θ = 1e4, L = 4096, 32/1): low = 20, high = 46; s = 16 → 1.2773.
 * Paper: Peng, Quesnelle, Fan, Shippole 2023, "YaRN: Efficient Context Window Extension of Large
 *   Language Models", arXiv:2309.00071 (ICLR 2024).
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py `_compute_yarn_parameters`
 *   (v5, with mscale/mscale_all_dim/truncate); jquesnelle/yarn scaled_rope/LlamaYaRNScaledRotaryEmbedding.py.
 * Models: Qwen2.5 (s = 4, L = 32768), DeepSeek-V2/V3 (s = 40, mscale = mscale_all_dim = 0.707 →
 *   factor 1), gpt-oss (s = 32, truncate false), Mistral/Ministral YaRN variants.
 * Parameters: factor s (≥ 1), originalMaxPositionEmbeddings L, betaFast (default 32), betaSlow
 *   (default 1), mscale, mscaleAllDim (null), attentionFactor (null = derived), truncate (true).
 * Config keys: `rope_scaling.{factor, original_max_position_embeddings, beta_fast, beta_slow, mscale,
 *   mscale_all_dim, attention_factor, truncate}`; `factor: null` → max_position_embeddings / L (hf-config.ts).
 * Differences: we follow v5. HF v4.5x overrode `factor` by max_position_embeddings / L whenever L was
 *   in rope_scaling (Qwen2.5's config then gave factor 1); v4.4x had no mscale/truncate and used
 *   max_position_embeddings as L. factor < 1, β ≤ 0, β_fast < β_slow, attention_factor ≤ 0 are refused
 *   (HF warns; HF also maps β = 0 to the default, we refuse it). DeepSeek's extra softmax scale
 *   get_mscale(s, mscaleAllDim)² belongs to the attention, not to cos/sin, and is not applied here.
 */
import { defaultInvFreq, tensorRound, type RopePrecision } from "../inv-freq.js";
import { invalid, show } from "../../errors.js";
import { atLeast, optionalFinite, optionalPositive, positive, positiveInt } from "./check.js";
import type { RopeScheme, YarnScaling } from "./types.js";

/** Pair index whose wavelength makes `numRotations` turns over L. Example: `yarnFindCorrectionDim(32, 128, 1e4, 4096)` → 20.94. */
export function yarnFindCorrectionDim(numRotations: number, dim: number, base: number, originalMax: number): number {
  return (dim * Math.log(originalMax / (numRotations * 2 * Math.PI))) / (2 * Math.log(base));
}

/** [low, high] of the ramp. Example: `yarnCorrectionRange(32, 1, 128, 1e4, 4096, true)` → [20, 46]. */
export function yarnCorrectionRange(betaFast: number, betaSlow: number, dim: number, base: number, originalMax: number, truncate: boolean): [number, number] {
  let low = yarnFindCorrectionDim(betaFast, dim, base, originalMax);
  let high = yarnFindCorrectionDim(betaSlow, dim, base, originalMax);
  if (truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  return [Math.max(low, 0), Math.min(high, dim - 1)];
}

/** ramp_i = clamp((i − low)/(high − low), 0, 1) for i < n. Example: `yarnRamp(1, 3, 5)` → [0, 0, 0.5, 1, 1]. */
export function yarnRamp(low: number, high: number, n: number, precision: RopePrecision = "float64"): Float64Array {
  const r = tensorRound(precision);
  if (low === high) high += 0.001; // HF: prevent singularity
  const lo = r(low), span = r(high - low);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(1, Math.max(0, r(r(i - lo) / span)));
  return out;
}

/** 0.1·m·ln(s) + 1, or 1 when s ≤ 1. Example: `yarnGetMscale(16)` → 1.2773. */
export function yarnGetMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/** The attention factor HF derives (explicit value, DeepSeek mscale ratio, or get_mscale(s)). */
export function yarnAttentionFactor(s: YarnScaling): number {
  if (s.attentionFactor !== null) return s.attentionFactor;
  if (s.mscale && s.mscaleAllDim) return yarnGetMscale(s.factor, s.mscale) / yarnGetMscale(s.factor, s.mscaleAllDim);
  return yarnGetMscale(s.factor);
}

export const yarnScheme: RopeScheme<"yarn"> = {
  summary: "YaRN: NTK-by-parts ramp between θ_i/s and θ_i, plus attention factor 0.1·ln s + 1",
  contextExtension: true,
  requiredKeys: ["factor", "originalMaxPositionEmbeddings"],
  optionalKeys: ["betaFast", "betaSlow", "mscale", "mscaleAllDim", "attentionFactor", "truncate"],
  defaults: { betaFast: 32, betaSlow: 1, mscale: null, mscaleAllDim: null, attentionFactor: null, truncate: true },
  validate(p, name) {
    const s = p.scaling;
    atLeast(s.factor, 1, name("factor"));
    positiveInt(s.originalMaxPositionEmbeddings, name("originalMaxPositionEmbeddings"));
    positive(s.betaFast, name("betaFast"));
    positive(s.betaSlow, name("betaSlow"));
    if (s.betaFast < s.betaSlow) {
      throw invalid(`${name("betaFast")} must be ≥ ${name("betaSlow")}, got ${s.betaFast} < ${s.betaSlow}`);
    }
    optionalFinite(s.mscale, name("mscale"));
    optionalFinite(s.mscaleAllDim, name("mscaleAllDim"));
    optionalPositive(s.attentionFactor, name("attentionFactor"));
    if (typeof s.truncate !== "boolean") throw invalid(`${name("truncate")} must be true or false, got ${show(s.truncate)}`);
  },
  compute(p, { precision }) {
    const s = p.scaling;
    const r = tensorRound(precision);
    const d = p.rotaryDim;
    const extrapolated = defaultInvFreq(p.theta, d, precision); // 1/pos_freqs
    const [low, high] = yarnCorrectionRange(s.betaFast, s.betaSlow, d, p.theta, s.originalMaxPositionEmbeddings, s.truncate);
    const ramp = yarnRamp(low, high, d / 2, precision);
    const factor = r(s.factor);
    const invFreq = new Float64Array(d / 2);
    for (let i = 0; i < d / 2; i++) {
      const posFreq = r(Math.pow(r(p.theta), r((2 * i) / d)));
      const interpolated = r(1 / r(factor * posFreq));
      const e = r(1 - ramp[i]!);
      invFreq[i] = r(r(interpolated * r(1 - e)) + r(extrapolated[i]! * e));
    }
    return { invFreq, attentionFactor: yarnAttentionFactor(s) };
  },
};
