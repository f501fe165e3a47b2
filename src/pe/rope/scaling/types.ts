/**
 * Types shared by the RoPE scaling schemes: the scaling union (one member per HF `rope_type`),
 * the resolved RoPE parameters, and the RopeScheme registry entry.
 *
 * Formula: none (types only); each scheme file states its formula.
 * Paper: see each scheme file.
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py (`RopeParameters`, v5).
 * Models: see each scheme file.
 * Parameters: see the interfaces below (camelCase; HF snake_case names live only in hf-config.ts).
 * Config keys: see hf-config.ts.
 * Differences: `ntk` (static NTK-aware base scaling) is not an HF v5 rope_type; it is vLLM's `ntk`
 *   and x-transformers' `rotary_base_rescale_factor`.
 */
import type { RopePrecision } from "../inv-freq.js";

export type RopeType = "default" | "linear" | "dynamic" | "ntk" | "yarn" | "longrope" | "llama3" | "proportional";

export const ROPE_TYPES: readonly RopeType[] = ["default", "linear", "dynamic", "ntk", "yarn", "longrope", "llama3", "proportional"];

export interface DefaultScaling { type: "default" }
/** Position interpolation: inv_freq / factor. */
export interface LinearScaling { type: "linear"; factor: number }
/** Dynamic NTK: base grows with the current sequence length beyond maxPositionEmbeddings. */
export interface DynamicScaling { type: "dynamic"; factor: number }
/** Static NTK-aware base scaling b' = b·factor^(d/(d−2)). */
export interface NtkScaling { type: "ntk"; factor: number }
export interface YarnScaling {
  type: "yarn";
  /** Context extension factor s (> 1 for any effect). */
  factor: number;
  /** Pre-extension context length L (defines the correction range). */
  originalMaxPositionEmbeddings: number;
  /** Rotations over L above which a pair is left unscaled (extrapolated); default 32. */
  betaFast: number;
  /** Rotations over L below which a pair is fully interpolated; default 1. */
  betaSlow: number;
  /** DeepSeek: numerator mscale of the attention factor; null = unset. */
  mscale: number | null;
  /** DeepSeek: denominator mscale of the attention factor; null = unset. */
  mscaleAllDim: number | null;
  /** Explicit attention factor (overrides the mscale formula); null = derived. */
  attentionFactor: number | null;
  /** floor/ceil the correction range (HF default true; gpt-oss sets false). */
  truncate: boolean;
}
export interface LongropeScaling {
  type: "longrope";
  /** Per-pair divisors used while seqLen ≤ originalMaxPositionEmbeddings (length rotaryDim/2). */
  shortFactor: number[];
  /** Per-pair divisors used when seqLen > originalMaxPositionEmbeddings (length rotaryDim/2). */
  longFactor: number[];
  /** Extension factor s used only for the default attention factor. */
  factor: number;
  originalMaxPositionEmbeddings: number;
  /** Explicit attention factor; null = sqrt(1 + ln s / ln L) (1 when s ≤ 1). */
  attentionFactor: number | null;
}
export interface Llama3Scaling {
  type: "llama3";
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}
/** p-RoPE: the fraction p = partialRotaryFactor of pairs rotates (highest frequencies), the rest get inv_freq 0. */
export interface ProportionalScaling { type: "proportional"; factor: number }

export type RopeScaling =
  | DefaultScaling | LinearScaling | DynamicScaling | NtkScaling
  | YarnScaling | LongropeScaling | Llama3Scaling | ProportionalScaling;

export type ScalingOf<K extends RopeType> = Extract<RopeScaling, { type: K }>;

/** Fully resolved, validated RoPE parameters (what hf-config.ts and makeRopeParams return). */
export interface RopeParams {
  /** Base θ (`rope_theta`), e.g. 10000 or 500000. */
  theta: number;
  /** Per-head dimension, e.g. 128. */
  headDim: number;
  /** Fraction of the head that rotates (proportional: fraction of pairs with non-zero frequency). */
  partialRotaryFactor: number;
  /** Rotated channels per head: trunc(headDim·partialRotaryFactor); proportional: headDim. */
  rotaryDim: number;
  /** `max_position_embeddings`, e.g. 4096; null when the config has none (only dynamic needs it). */
  maxPositionEmbeddings: number | null;
  scaling: RopeScaling;
  /** Resonance RoPE: round every wavelength 2π/θ_i to an integer after the scheme. */
  resonance: boolean;
}

export type RopeParamsOf<K extends RopeType> = RopeParams & { scaling: ScalingOf<K> };

export interface RopeComputeOptions {
  /** Current sequence length (dynamic, longrope); undefined = the reference's init-time value. */
  seqLen?: number | undefined;
  precision: RopePrecision;
}

export interface RopeFrequencies {
  /** Length rotaryDim/2. */
  invFreq: Float64Array;
  /** Multiplies cos and sin (HF `attention_scaling`); 1 when the scheme has none. */
  attentionFactor: number;
}

/** Names a field in error messages: "`factor`" for the API, "`rope_scaling.factor`" from config.json. */
export type FieldNamer = (key: string) => string;

export interface RopeScheme<K extends RopeType> {
  /** One line for --help and docs. */
  summary: string;
  /**
   * True when the scheme extends a trained RoPE model's context (so `extrapos eval/generate --rope-scaling`
   * offers it, with `factor` and its other keys as flags); false for `default` (no scaling) and
   * `proportional` (p-RoPE fixes which pairs rotate: a training-time choice).
   */
  contextExtension: boolean;
  /** Scaling fields that must be given (camelCase; `type` excluded). */
  requiredKeys: readonly Exclude<keyof ScalingOf<K>, "type">[];
  /** Scaling fields that may be given; missing ones take `defaults` (or null). */
  optionalKeys: readonly Exclude<keyof ScalingOf<K>, "type">[];
  defaults: Partial<Omit<ScalingOf<K>, "type">>;
  /** Throws ExtraposError naming the field if the parameters would give a wrong answer. */
  validate(params: RopeParamsOf<K>, name: FieldNamer): void;
  /** inv_freq (length rotaryDim/2) and the attention factor; assumes validate passed. */
  compute(params: RopeParamsOf<K>, options: RopeComputeOptions): RopeFrequencies;
}
