/**
 * Dynamic NTK scaling: the base grows with the current sequence length once it exceeds the trained length.
 *
 * Formula: S = max(seqLen, L); θ' = θ·((s·S/L) − (s − 1))^(d/(d−2)); inv_freq[i] = 1/θ'^(2i/d);
 *   attention factor 1. For seqLen ≤ L this is exactly the default RoPE.
 * Paper: emozilla 2023, "Dynamically Scaled RoPE further increases performance of long context LLaMA
 *   with zero fine-tuning" (reddit r/LocalLLaMA); Peng et al. 2023, YaRN, arXiv:2309.00071 §3.3.
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py `_compute_dynamic_ntk_parameters`
 *   and `dynamic_rope_update` (v4.4x and v5 agree); jquesnelle/yarn scaled_rope/LlamaDynamicScaledRotaryEmbedding.py.
 * Models: configs with `"type": "dynamic"` (e.g. some Qwen-1 / InternLM2 / Baichuan long variants).
 * Parameters: factor s (≥ 1), L = maxPositionEmbeddings, seqLen (current length; default L).
 * Config keys: `rope_scaling.factor`, top-level `max_position_embeddings`.
 * Differences: stateless — we return what a fresh HF model computes for `seqLen`. HF keeps the
 *   largest seq_len seen (it recomputes only on growth) until a sequence shorter than L resets it.
 *   In "float32" mode with seqLen given, θ' is computed in float32 as HF's forward does (seq_len
 *   is a tensor there); without seqLen, in double as at HF init. factor < 1 is refused (HF warns).
 */
import { defaultInvFreq, tensorRound } from "../inv-freq.js";
import { invalid } from "../../errors.js";
import { atLeast, positiveInt, rotaryDimAbove2, seqLenOrUndefined } from "./check.js";
import type { RopeScheme } from "./types.js";

/**
 * θ' for the current sequence length, rounded like HF in the given precision.
 * Example: `dynamicBase(10000, 2, 4096, 128, 8192, "float64")` → 10000·3^(128/126).
 */
export function dynamicBase(theta: number, factor: number, maxPos: number, rotaryDim: number, seqLen: number | undefined, precision: "float64" | "float32"): number {
  const exponent = rotaryDim / (rotaryDim - 2);
  if (seqLen === undefined || precision === "float64") {
    const s = Math.max(seqLen ?? maxPos, maxPos);
    return theta * Math.pow((factor * s) / maxPos - (factor - 1), exponent);
  }
  const r = tensorRound("float32");
  const s = r(Math.max(seqLen, maxPos));
  const ratio = r(r(r(r(factor) * s) / r(maxPos)) - r(factor - 1));
  return r(r(theta) * r(Math.pow(ratio, exponent))); // tensor ** python float: exponent stays double
}

export const dynamicScheme: RopeScheme<"dynamic"> = {
  summary: "dynamic NTK: θ' = θ·((s·S/L) − (s−1))^(d/(d−2)), S = max(seqLen, L)",
  contextExtension: true,
  requiredKeys: ["factor"],
  optionalKeys: [],
  defaults: {},
  validate(p, name) {
    atLeast(p.scaling.factor, 1, name("factor"));
    rotaryDimAbove2(p.rotaryDim);
    if (p.maxPositionEmbeddings === null) {
      throw invalid("dynamic RoPE scaling needs `max_position_embeddings` (the trained length L), got none");
    }
    positiveInt(p.maxPositionEmbeddings, "`max_position_embeddings`");
  },
  compute(p, { seqLen, precision }) {
    const base = dynamicBase(p.theta, p.scaling.factor, p.maxPositionEmbeddings!, p.rotaryDim, seqLenOrUndefined(seqLen), precision);
    return { invFreq: defaultInvFreq(base, p.rotaryDim, precision), attentionFactor: 1 };
  },
};
