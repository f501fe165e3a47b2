/**
 * RoPE scaling at evaluation: from the CLI's `--rope-scaling TYPE --factor F [scheme parameters]` to
 * the HF-style `rope_scaling` dict the model receives as `EvalOptions.ropeScaling`, validated up
 * front against the run's model by the same parser the model uses (`ropeParamsFromHfConfig`), so a
 * bad value is refused before any model is loaded.
 *
 * `original_max_position_embeddings` is the model's training length (`context_length`) for the
 * schemes that take it (yarn, llama3, longrope); linear, ntk and dynamic take the factor only
 * (dynamic grows the base past `max_position_embeddings` = the training length).
 * llama3 defaults: low_freq_factor 1, high_freq_factor 4 (the Llama 3.1 release config).
 *
 * Example:
 *   ropeScalingDict({ type: "yarn", factor: 4 }, model)
 *   // → { rope_type: "yarn", factor: 4, original_max_position_embeddings: 128 }
 */
import { ExtraposError, show } from "../pe/errors.js";
import { ropeParamsFromHfConfig } from "../pe/rope/hf-config.js";
import { headDim, type ModelConfig } from "../model/config.js";

export const ROPE_SCALING_TYPES = ["linear", "ntk", "dynamic", "yarn", "llama3", "longrope"] as const;
export type RopeScalingType = (typeof ROPE_SCALING_TYPES)[number];

export const DEFAULT_LLAMA3_FREQ_FACTORS = { lowFreqFactor: 1, highFreqFactor: 4 } as const;

export interface RopeScalingRequest {
  type: RopeScalingType;
  factor: number;
  betaFast?: number;
  betaSlow?: number;
  mscale?: number;
  mscaleAllDim?: number;
  attentionFactor?: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  shortFactor?: number[];
  longFactor?: number[];
}

const SNAKE: Record<string, string> = {
  betaFast: "beta_fast", betaSlow: "beta_slow", mscale: "mscale", mscaleAllDim: "mscale_all_dim", attentionFactor: "attention_factor",
  lowFreqFactor: "low_freq_factor", highFreqFactor: "high_freq_factor", shortFactor: "short_factor", longFactor: "long_factor",
};

/**
 * `max_position_embeddings` of the HF config used to validate a dict: the extended length
 * ⌈factor · T⌉ for the schemes that carry `original_max_position_embeddings` = T (HF requires
 * original < max for llama3), the training length T otherwise (dynamic NTK starts growing past it).
 */
export function validationMaxPositions(dict: Record<string, unknown>, model: ModelConfig): number {
  const factor = typeof dict.factor === "number" && Number.isFinite(dict.factor) && dict.factor > 1 ? dict.factor : 1;
  return dict.original_max_position_embeddings !== undefined ? Math.ceil(factor * model.contextLength) : model.contextLength;
}

/** The validated HF `rope_scaling` dict for `model` (a RoPE model), or an ExtraposError naming the problem. */
export function ropeScalingDict(req: RopeScalingRequest, model: ModelConfig): Record<string, unknown> {
  if (!(ROPE_SCALING_TYPES as readonly string[]).includes(req.type)) {
    throw new ExtraposError("unknown_method", `--rope-scaling must be one of ${ROPE_SCALING_TYPES.join(", ")}, got ${show(req.type)}`);
  }
  if (model.pe.kind !== "rope") throw new ExtraposError("invalid_argument", `--rope-scaling applies to RoPE models; this run's pe is ${show(model.pe.kind)}`);
  const dict: Record<string, unknown> = { rope_type: req.type, factor: req.factor };
  if (req.type === "yarn" || req.type === "llama3" || req.type === "longrope") dict.original_max_position_embeddings = model.contextLength;
  const given: Record<string, unknown> = { ...(req.type === "llama3" ? DEFAULT_LLAMA3_FREQ_FACTORS : {}), ...req };
  for (const [k, snake] of Object.entries(SNAKE)) if (given[k] !== undefined) dict[snake] = given[k];
  const hd = headDim(model);
  try {
    ropeParamsFromHfConfig({
      rope_theta: model.pe.theta, head_dim: hd, partial_rotary_factor: model.pe.rotaryDim / hd,
      max_position_embeddings: validationMaxPositions(dict, model), rope_scaling: dict,
    });
  } catch (e) {
    if (e instanceof ExtraposError) throw new ExtraposError("invalid_argument", `--rope-scaling ${req.type}: ${e.message}`, e.hint);
    throw e;
  }
  return dict;
}
