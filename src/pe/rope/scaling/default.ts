/**
 * Plain RoPE: no scaling.
 *
 * Formula: inv_freq[i] = 1/θ^(2i/d); attention factor 1.
 * Paper: Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary Position Embedding", arXiv:2104.09864.
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py `_compute_default_rope_parameters`
 *   (v4.4x; v5 computes it in the model's `compute_default_rope_parameters`).
 * Models: Llama 1/2, Mistral, Qwen2 (without YaRN), Gemma, GPT-NeoX, …
 * Parameters: none beyond θ and the rotary dim.
 * Config keys: `rope_scaling: null` or `{"rope_type": "default"}`.
 * Differences: none.
 */
import { defaultInvFreq } from "../inv-freq.js";
import type { RopeScheme } from "./types.js";

export const defaultScheme: RopeScheme<"default"> = {
  summary: "plain RoPE: inv_freq = 1/θ^(2i/d)",
  contextExtension: false,
  requiredKeys: [],
  optionalKeys: [],
  defaults: {},
  validate() {},
  compute(p, { precision }) {
    return { invFreq: defaultInvFreq(p.theta, p.rotaryDim, precision), attentionFactor: 1 };
  },
};
