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
import { ROPE_TYPES, ropeScheme, type RopeType } from "../pe/rope/scaling/index.js";
import { headDim, type ModelConfig } from "../model/config.js";

export const DEFAULT_LLAMA3_FREQ_FACTORS = { lowFreqFactor: 1, highFreqFactor: 4 } as const;

/** The schemes that extend a trained model's context (`contextExtension` in ROPE_SCHEMES). */
export type RopeScalingType = Exclude<RopeType, "default" | "proportional">;
export const ROPE_SCALING_TYPES = ROPE_TYPES.filter((t) => ropeScheme(t).contextExtension) as readonly RopeScalingType[];

/** camelCase scheme key → HF snake_case key ("betaFast" → "beta_fast"). */
export function snakeKey(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The scheme keys a request may set besides `factor` (from ROPE_SCHEMES' required and optional keys; the
 * model supplies `original_max_position_embeddings`; `truncate` keeps HF's default), with the schemes that
 * take each and its default.
 */
export const ROPE_SCALING_KEYS: ReadonlyMap<string, { schemes: RopeScalingType[]; default: unknown }> = (() => {
  const m = new Map<string, { schemes: RopeScalingType[]; default: unknown }>();
  for (const t of ROPE_SCALING_TYPES) {
    const s = ropeScheme(t);
    for (const k of [...s.requiredKeys, ...s.optionalKeys] as string[]) {
      if (k === "factor" || k === "originalMaxPositionEmbeddings" || k === "truncate") continue;
      const e = m.get(k) ?? { schemes: [], default: undefined };
      e.schemes.push(t);
      const d = (s.defaults as Record<string, unknown>)[k] ?? (t === "llama3" ? (DEFAULT_LLAMA3_FREQ_FACTORS as Record<string, unknown>)[k] : undefined);
      if (d !== undefined && d !== null) e.default = d;
      m.set(k, e);
    }
  }
  return m;
})();


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
  for (const k of ROPE_SCALING_KEYS.keys()) if (given[k] !== undefined) dict[snakeKey(k)] = given[k];
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
