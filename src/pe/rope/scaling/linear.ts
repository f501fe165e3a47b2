/**
 * Linear scaling = Position Interpolation: positions divided by the factor, i.e. inv_freq / factor.
 *
 * Formula: f'(x, m) = f(x, m/s) ⇔ inv_freq'[i] = inv_freq[i] / s; attention factor 1.
 * Paper: Chen, Wong, Chen, Tian 2023, "Extending Context Window of Large Language Models via
 *   Positional Interpolation", arXiv:2306.15595 (also kaiokendev's SuperHOT).
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py `_compute_linear_scaling_rope_parameters`.
 * Models: LLaMA-PI, Vicuna-longchat, CodeLlama-style fine-tunes with `"type": "linear"`.
 * Parameters: factor s (≥ 1).
 * Config keys: `rope_scaling.factor`.
 * Differences: factor < 1 is refused (HF only warns).
 */
import { defaultInvFreq, tensorRound } from "../inv-freq.js";
import { atLeast } from "./check.js";
import type { RopeScheme } from "./types.js";

export const linearScheme: RopeScheme<"linear"> = {
  summary: "position interpolation: inv_freq / factor",
  contextExtension: true,
  requiredKeys: ["factor"],
  optionalKeys: [],
  defaults: {},
  validate(p, name) {
    atLeast(p.scaling.factor, 1, name("factor"));
  },
  compute(p, { precision }) {
    const r = tensorRound(precision);
    const inv = defaultInvFreq(p.theta, p.rotaryDim, precision);
    const f = r(p.scaling.factor);
    for (let i = 0; i < inv.length; i++) inv[i] = r(inv[i]! / f); // inv_freq /= factor (float32 tensor ÷ f32 scalar)
    return { invFreq: inv, attentionFactor: 1 };
  },
};
