/**
 * Llama 3.1 RoPE scaling: keep high frequencies, divide low ones by the factor, blend in between.
 *
 * Formula: λ_i = 2π/θ_i; lowWl = L/lowFreqFactor; highWl = L/highFreqFactor;
 *   λ_i < highWl → θ_i (kept); λ_i > lowWl → θ_i/s; otherwise with
 *   smooth = (L/λ_i − lowFreqFactor)/(highFreqFactor − lowFreqFactor): (1 − smooth)·θ_i/s + smooth·θ_i.
 *   Attention factor 1. Example (L = 8192, factors 1/4): thresholds 8192 and 2048.
 * Paper: Grattafiori et al. 2024, "The Llama 3 Herd of Models", arXiv:2407.21783 (θ = 500000).
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py `_compute_llama3_parameters`;
 *   meta-llama/llama-models `apply_scaling`; pytorch/torchtune `Llama3ScaledRoPE`.
 * Models: Llama 3.1 / 3.2 / 3.3 (s = 8, or 32 for 3.2-1B/3B), Llama 4 (s = 16).
 * Parameters: factor s (≥ 1; `8` in the original implementation), lowFreqFactor (`1`), highFreqFactor
 *   (`4`), originalMaxPositionEmbeddings L (`8192`).
 * Config keys: `rope_scaling.{factor, low_freq_factor, high_freq_factor, original_max_position_embeddings}`.
 * Differences: factor < 1, highFreqFactor ≤ lowFreqFactor and L ≥ max_position_embeddings are refused
 *   (HF warns). With L missing from the dict, v5 falls back to max_position_embeddings (hf-config.ts),
 *   which then fails that check; v4.4x required the key.
 */
import { defaultInvFreq, scalarOverTensor, tensorRound } from "../inv-freq.js";
import { invalid } from "../../errors.js";
import { atLeast, positive, positiveInt } from "./check.js";
import type { RopeScheme } from "./types.js";

export const llama3Scheme: RopeScheme<"llama3"> = {
  summary: "Llama 3.1: keep θ_i for wavelength < L/high, θ_i/s for wavelength > L/low, blend between",
  contextExtension: true,
  requiredKeys: ["factor", "lowFreqFactor", "highFreqFactor", "originalMaxPositionEmbeddings"],
  optionalKeys: [],
  defaults: {},
  validate(p, name) {
    const s = p.scaling;
    atLeast(s.factor, 1, name("factor"));
    positive(s.lowFreqFactor, name("lowFreqFactor"));
    positive(s.highFreqFactor, name("highFreqFactor"));
    if (s.highFreqFactor <= s.lowFreqFactor) {
      throw invalid(`${name("highFreqFactor")} must be > ${name("lowFreqFactor")}, got ${s.highFreqFactor} ≤ ${s.lowFreqFactor}`);
    }
    positiveInt(s.originalMaxPositionEmbeddings, name("originalMaxPositionEmbeddings"));
    if (p.maxPositionEmbeddings !== null && s.originalMaxPositionEmbeddings >= p.maxPositionEmbeddings) {
      throw invalid(
        `${name("originalMaxPositionEmbeddings")} must be < \`max_position_embeddings\`, got ${s.originalMaxPositionEmbeddings} ≥ ${p.maxPositionEmbeddings}`,
        "set the pre-extension length (8192 for Llama 3.1) in the scaling dict",
      );
    }
  },
  compute(p, { precision }) {
    const s = p.scaling;
    const r = tensorRound(precision);
    const inv = defaultInvFreq(p.theta, p.rotaryDim, precision);
    const L = s.originalMaxPositionEmbeddings;
    const lowWl = r(L / s.lowFreqFactor);
    const highWl = r(L / s.highFreqFactor);
    const factor = r(s.factor);
    const out = new Float64Array(inv.length);
    for (let i = 0; i < inv.length; i++) {
      const wl = scalarOverTensor(2 * Math.PI, inv[i]!, precision); // 2π / inv_freq
      const kept = wl > lowWl ? r(inv[i]! / factor) : inv[i]!;
      if (wl < highWl || wl > lowWl) {
        out[i] = kept;
        continue;
      }
      const smooth = r(r(scalarOverTensor(L, wl, precision) - r(s.lowFreqFactor)) / r(s.highFreqFactor - s.lowFreqFactor));
      out[i] = r(r(r(r(1 - smooth) * kept) / factor) + r(smooth * kept));
    }
    return { invFreq: out, attentionFactor: 1 };
  },
};
