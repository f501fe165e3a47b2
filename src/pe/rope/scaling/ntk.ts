/**
 * Static NTK-aware base scaling: stretch the base so low frequencies interpolate and high ones extrapolate.
 *
 * Formula: θ' = θ·s^(d/(d−2)), then inv_freq[i] = 1/θ'^(2i/d); attention factor 1.
 *   Example: θ = 10000, d = 128, s = 8 → θ' = 82684.62.
 * Paper: bloc97 2023, "NTK-Aware Scaled RoPE" (reddit r/LocalLLaMA); formalised in Peng et al. 2023, YaRN, arXiv:2309.00071 §3.1.
 * Reference: lucidrains/x-transformers x_transformers/x_transformers.py (`rotary_base_rescale_factor`:
 *   `base *= rescale ** (dim / (dim - 2))`); vllm-project/vllm rotary_embedding (`ntk`).
 * Models: community long-context llama variants; x-transformers / rotary-embedding-torch users.
 * Parameters: factor s (≥ 1).
 * Config keys: `rope_scaling: {"rope_type": "ntk", "factor": s}` (not an HF v5 type; vLLM's name).
 * Differences: not in HF v5's ROPE_INIT_FUNCTIONS. θ' is computed in double (as Python does); the
 *   float32 mode then rounds as HF's default formula does.
 */
import { defaultInvFreq } from "../inv-freq.js";
import { atLeast, rotaryDimAbove2 } from "./check.js";
import type { RopeScheme } from "./types.js";

/** θ·s^(d/(d−2)). Example: `ntkScaledBase(10000, 8, 128)` → 82684.62… */
export function ntkScaledBase(theta: number, factor: number, rotaryDim: number): number {
  return theta * Math.pow(factor, rotaryDim / (rotaryDim - 2));
}

export const ntkScheme: RopeScheme<"ntk"> = {
  summary: "static NTK-aware base scaling: θ' = θ·s^(d/(d−2))",
  contextExtension: true,
  requiredKeys: ["factor"],
  optionalKeys: [],
  defaults: {},
  validate(p, name) {
    atLeast(p.scaling.factor, 1, name("factor"));
    rotaryDimAbove2(p.rotaryDim);
  },
  compute(p, { precision }) {
    const base = ntkScaledBase(p.theta, p.scaling.factor, p.rotaryDim);
    return { invFreq: defaultInvFreq(base, p.rotaryDim, precision), attentionFactor: 1 };
  },
};
