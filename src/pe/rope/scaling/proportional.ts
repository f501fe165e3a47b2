/**
 * Proportional RoPE (p-RoPE): only the fraction p of pairs with the highest frequencies rotates; the
 * rest get inv_freq 0 (cos 1, sin 0: identity), so the encoding always spans the whole head.
 *
 * Formula: n = floor(p·headDim/2); inv_freq_i = 1/θ^(2i/headDim) for i < n, 0 for n ≤ i < headDim/2;
 *   then inv_freq /= factor. Attention factor 1. p = 0 is NoPE, p = 1 is RoPE (÷ factor).
 * Paper: Barbero, Vitvitskyi, Perivolaropoulos, Pascanu, Veličković 2025, "Round and Round We Go!
 *   What makes Rotary Positional Encodings useful?", arXiv:2410.06205 (ICLR 2025).
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py
 *   `_compute_proportional_rope_parameters` (v5 only; `rope_angles = int(p·head_dim // 2)`).
 * Models: Gemma 4 global-attention layers (θ = 1e6, p = 0.25).
 * Parameters: p = partialRotaryFactor ∈ [0, 1] (default 1), factor (> 0, default 1), headDim (even).
 * Config keys: `rope_parameters.{rope_type: "proportional", rope_theta, partial_rotary_factor, factor}`.
 * Differences: rotary dim = headDim here (HF returns head_dim/2 frequencies). HF's Gemma 4 may read
 *   `global_head_dim` instead of `head_dim` (`head_dim_key`); pass the right headDim yourself.
 */
import { defaultInvFreq, tensorRound } from "../inv-freq.js";
import { invalid, show } from "../../errors.js";
import { positive } from "./check.js";
import type { RopeScheme } from "./types.js";

/** Rotating pairs: floor(p·headDim/2). Example: `proportionalRopeAngles(0.25, 256)` → 32. */
export function proportionalRopeAngles(p: number, headDim: number): number {
  return Math.floor((p * headDim) / 2);
}

export const proportionalScheme: RopeScheme<"proportional"> = {
  summary: "p-RoPE: the top fraction p of frequencies rotate, the rest are 0 (identity); ÷ factor",
  contextExtension: false,
  requiredKeys: [],
  optionalKeys: ["factor"],
  defaults: { factor: 1 },
  validate(p, name) {
    positive(p.scaling.factor, name("factor"));
    if (!(p.partialRotaryFactor >= 0 && p.partialRotaryFactor <= 1)) {
      throw invalid(`\`partial_rotary_factor\` (p) must be a number in [0, 1] for proportional RoPE, got ${show(p.partialRotaryFactor)}`);
    }
    if (p.rotaryDim !== p.headDim) throw invalid(`proportional RoPE rotates the whole head: rotary dim must equal head dim ${p.headDim}, got ${p.rotaryDim}`);
  },
  compute(p, { precision }) {
    const r = tensorRound(precision);
    const angles = proportionalRopeAngles(p.partialRotaryFactor, p.headDim);
    const inv = new Float64Array(p.headDim / 2);
    if (angles > 0) inv.set(defaultInvFreq(p.theta, p.headDim, precision, p.headDim, angles));
    const f = r(p.scaling.factor);
    for (let i = 0; i < inv.length; i++) inv[i] = r(inv[i]! / f);
    return { invFreq: inv, attentionFactor: 1 };
  },
};
