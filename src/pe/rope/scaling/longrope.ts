/**
 * LongRoPE (Phi-3 "longrope"): per-pair rescale factors, a short set within the trained length and
 * a long set beyond it, plus an attention factor.
 *
 * Formula: ext = longFactor if seqLen > L else shortFactor; inv_freq_i = 1/(ext_i·θ^(2i/d));
 *   attention factor = attentionFactor if given, else sqrt(1 + ln s / ln L) (1 when s ≤ 1).
 *   Example: s = 32, L = 4096 → 1.19024.
 * Paper: Ding, Zhang, Zhang, Xu, Shang, Xu, Yang, Yang 2024, "LongRoPE: Extending LLM Context Window
 *   Beyond 2 Million Tokens", arXiv:2402.13753.
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py `_compute_longrope_parameters`
 *   and `dynamic_rope_update` (`longrope_frequency_update`: seq_len = max(position_ids) + 1).
 * Models: Phi-3-mini/small/medium-128k, Phi-3.5, Phi-4-mini (original_max_position_embeddings 4096).
 * Parameters: shortFactor, longFactor (length d/2 each, > 0), factor s (≥ 1; from config: given, else
 *   max_position_embeddings / L), originalMaxPositionEmbeddings L, attentionFactor (null = derived),
 *   seqLen (undefined or ≤ L → short factors, as at HF init).
 * Config keys: `rope_scaling.{short_factor, long_factor, factor, attention_factor,
 *   original_max_position_embeddings}`; top-level `original_max_position_embeddings` (Phi-3).
 * Differences: wrong list lengths, factor < 1 and attention_factor ≤ 0 are refused (HF warns).
 *   Switching sets at seqLen = L + 1 invalidates a KV cache built with the short set (HF recomputes).
 */
import { tensorRound } from "../inv-freq.js";
import { atLeast, optionalPositive, positiveInt, positiveList, seqLenOrUndefined } from "./check.js";
import type { LongropeScaling, RopeScheme } from "./types.js";

/** True iff the long factors apply: seqLen > L (HF: `seq_len and seq_len > original_max`). */
export function longropeUsesLongFactors(seqLen: number | undefined, originalMax: number): boolean {
  return seqLen !== undefined && seqLen > originalMax;
}

/** sqrt(1 + ln s / ln L), or 1 when s ≤ 1; an explicit attentionFactor wins. Example: s = 32, L = 4096 → 1.19024. */
export function longropeAttentionFactor(s: Pick<LongropeScaling, "factor" | "originalMaxPositionEmbeddings" | "attentionFactor">): number {
  if (s.attentionFactor !== null) return s.attentionFactor;
  return s.factor <= 1 ? 1 : Math.sqrt(1 + Math.log(s.factor) / Math.log(s.originalMaxPositionEmbeddings));
}

export const longropeScheme: RopeScheme<"longrope"> = {
  summary: "LongRoPE: inv_freq_i = 1/(ext_i·θ^(2i/d)), long factors iff seqLen > original max",
  contextExtension: true,
  requiredKeys: ["shortFactor", "longFactor", "factor", "originalMaxPositionEmbeddings"],
  optionalKeys: ["attentionFactor"],
  defaults: { attentionFactor: null },
  validate(p, name) {
    const s = p.scaling;
    const hint = `one factor per rotary pair: rotary dim ${p.rotaryDim} → ${p.rotaryDim / 2}`;
    positiveList(s.shortFactor, p.rotaryDim / 2, name("shortFactor"), hint);
    positiveList(s.longFactor, p.rotaryDim / 2, name("longFactor"), hint);
    atLeast(s.factor, 1, name("factor"));
    positiveInt(s.originalMaxPositionEmbeddings, name("originalMaxPositionEmbeddings"));
    optionalPositive(s.attentionFactor, name("attentionFactor"));
  },
  compute(p, { seqLen, precision }) {
    const s = p.scaling;
    const r = tensorRound(precision);
    const useLong = longropeUsesLongFactors(seqLenOrUndefined(seqLen), s.originalMaxPositionEmbeddings);
    const ext = useLong ? s.longFactor : s.shortFactor;
    const d = p.rotaryDim;
    const base = r(p.theta);
    const invFreq = new Float64Array(d / 2);
    for (let i = 0; i < d / 2; i++) {
      invFreq[i] = r(1 / r(r(ext[i]!) * r(Math.pow(base, r((2 * i) / d)))));
    }
    return { invFreq, attentionFactor: longropeAttentionFactor(s) };
  },
};
