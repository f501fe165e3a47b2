/**
 * ROPE_SCHEMES: the explicit table of RoPE frequency-scaling schemes, keyed by HF `rope_type`.
 *
 * Formula: see each scheme file (default, linear, dynamic, ntk, yarn, longrope, llama3, proportional).
 * Paper: see each scheme file.
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py `ROPE_INIT_FUNCTIONS`
 *   (compute) and `RotaryEmbeddingConfigMixin._validate_*` (validation) — one entry here holds both.
 * Models: see each scheme file.
 * Parameters: RopeScheme = {summary, requiredKeys, optionalKeys, defaults, validate, compute}.
 * Config keys: the keys of this table are the accepted `rope_type` strings.
 * Differences: `ntk` (static NTK-aware) is added; HF v5 has no `default` entry in ROPE_INIT_FUNCTIONS.
 */
import { defaultScheme } from "./default.js";
import { dynamicScheme } from "./dynamic.js";
import { linearScheme } from "./linear.js";
import { llama3Scheme } from "./llama3.js";
import { longropeScheme } from "./longrope.js";
import { ntkScheme } from "./ntk.js";
import { proportionalScheme } from "./proportional.js";
import { yarnScheme } from "./yarn.js";
import type { RopeScheme, RopeType } from "./types.js";

/** A Record<RopeType, RopeScheme> in which each entry is typed by its own scaling parameters. */
export const ROPE_SCHEMES = {
  default: defaultScheme,
  linear: linearScheme,
  dynamic: dynamicScheme,
  ntk: ntkScheme,
  yarn: yarnScheme,
  longrope: longropeScheme,
  llama3: llama3Scheme,
  proportional: proportionalScheme,
} satisfies { readonly [K in RopeType]: RopeScheme<K> };

/** True iff `s` names a scheme. */
export function isRopeType(s: unknown): s is RopeType {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(ROPE_SCHEMES, s);
}

/** The scheme for a type, typed loosely (for code that dispatches on a runtime value). */
export function ropeScheme(type: RopeType): RopeScheme<RopeType> {
  return ROPE_SCHEMES[type] as unknown as RopeScheme<RopeType>;
}

export * from "./types.js";
export { ntkScaledBase } from "./ntk.js";
export { dynamicBase } from "./dynamic.js";
export { yarnFindCorrectionDim, yarnCorrectionRange, yarnRamp, yarnGetMscale, yarnAttentionFactor } from "./yarn.js";
export { longropeUsesLongFactors, longropeAttentionFactor } from "./longrope.js";
export { proportionalRopeAngles } from "./proportional.js";
export { resonanceInvFreq } from "./resonance.js";
