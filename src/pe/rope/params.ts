/**
 * makeRopeParams: typed RoPE parameters with visible defaults, validated once.
 *
 * Formula: rotaryDim = trunc(headDim · partialRotaryFactor) (HF `int(head_dim * partial_rotary_factor)`);
 *   proportional RoPE rotates the whole head (rotaryDim = headDim, p selects the non-zero pairs).
 * Paper: none (parameter plumbing).
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py (each `_compute_*`
 *   derives `dim` this way; `default_theta = 10000`).
 * Models: all RoPE models.
 * Parameters: see RopeParamsInput (defaults in DEFAULT_ROPE_PARAMS and each scheme's `defaults`).
 * Config keys: none (hf-config.ts maps config.json onto RopeParamsInput).
 * Differences: an odd rotary dim is refused (HF computes ceil(d/2) frequencies, which no layout can apply).
 */
import { invalid, show } from "../errors.js";
import { checkRotaryDim, checkTheta, DEFAULT_ROPE_THETA } from "./inv-freq.js";
import { isRopeType, ROPE_SCHEMES, ropeScheme } from "./scaling/index.js";
import type { FieldNamer, RopeParams, RopeScaling, RopeType } from "./scaling/types.js";

/** What a caller may give; everything but headDim has a default. */
export interface RopeParamsInput {
  /** Base θ; default 10000. */
  theta?: number;
  /** Per-head dimension, e.g. 128. */
  headDim: number;
  /** Fraction of the head that rotates; default 1. */
  partialRotaryFactor?: number;
  /** Trained length L (`max_position_embeddings`); default null. */
  maxPositionEmbeddings?: number | null;
  /** `{type, ...fields}`; missing optional fields take the scheme's defaults. Default `{type: "default"}`. */
  scaling?: { type: RopeType } & Record<string, unknown>;
  /** Resonance RoPE on top of the scheme; default false. */
  resonance?: boolean;
}

export const DEFAULT_ROPE_PARAMS = {
  theta: DEFAULT_ROPE_THETA,
  partialRotaryFactor: 1,
  maxPositionEmbeddings: null,
  scaling: { type: "default" } as const,
  resonance: false,
} as const;

const apiName: FieldNamer = (key) => `\`${key}\``;

/** Fills scheme defaults, refuses unknown/missing keys, returns the typed scaling. */
function resolveScaling(input: { type: RopeType } & Record<string, unknown>, name: FieldNamer): RopeScaling {
  if (!isRopeType(input.type)) {
    throw invalid(`${name("type")} must be one of ${Object.keys(ROPE_SCHEMES).join(", ")}, got ${show(input.type)}`);
  }
  const scheme = ropeScheme(input.type);
  const required = scheme.requiredKeys as readonly string[];
  const optional = scheme.optionalKeys as readonly string[];
  const out: Record<string, unknown> = { type: input.type };
  for (const key of Object.keys(input)) {
    if (key === "type") continue;
    if (!required.includes(key) && !optional.includes(key)) {
      const allowed = [...required, ...optional];
      throw invalid(`unknown key ${name(key)} for RoPE type ${show(input.type)}`, allowed.length ? `allowed: ${allowed.map(name).join(", ")}` : "this type takes no parameters");
    }
    out[key] = input[key];
  }
  for (const key of required) {
    if (out[key] === undefined) throw invalid(`RoPE type ${show(input.type)} needs ${name(key)}, got none`);
  }
  const defaults = scheme.defaults as Record<string, unknown>;
  for (const key of optional) {
    if (out[key] === undefined || out[key] === null) out[key] = key in defaults ? defaults[key] : null;
  }
  return out as unknown as RopeScaling;
}

/** trunc(headDim·p) as HF's `int(head_dim * partial_rotary_factor)`; proportional: headDim. */
export function rotaryDimFor(type: RopeType, headDim: number, partialRotaryFactor: number): number {
  return type === "proportional" ? headDim : Math.trunc(headDim * partialRotaryFactor);
}

/**
 * Builds and validates RopeParams. `name` formats field names in errors (hf-config.ts passes
 * `rope_scaling.<snake_key>`).
 *
 * Example: `makeRopeParams({ headDim: 128, theta: 500000, maxPositionEmbeddings: 131072,
 *   scaling: { type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } })`.
 */
export function makeRopeParams(input: RopeParamsInput, name: FieldNamer = apiName): RopeParams {
  const theta = input.theta ?? DEFAULT_ROPE_PARAMS.theta;
  checkTheta(theta, name("theta"));
  const headDim = input.headDim;
  if (!Number.isInteger(headDim) || headDim < 2) throw invalid(`${name("headDim")} must be an integer ≥ 2, got ${show(headDim)}`);
  const prf = input.partialRotaryFactor ?? DEFAULT_ROPE_PARAMS.partialRotaryFactor;
  const pMayBeZero = input.scaling?.type === "proportional"; // p = 0 is NoPE for p-RoPE
  if (typeof prf !== "number" || !(prf <= 1 && (prf > 0 || (pMayBeZero && prf === 0)))) {
    throw invalid(`${name("partialRotaryFactor")} must be a number in ${pMayBeZero ? "[0, 1]" : "(0, 1]"}, got ${show(prf)}`);
  }
  const maxPos = input.maxPositionEmbeddings ?? null;
  if (maxPos !== null && (!Number.isInteger(maxPos) || maxPos < 1)) {
    throw invalid(`${name("maxPositionEmbeddings")} must be an integer ≥ 1, got ${show(maxPos)}`);
  }
  const scaling = resolveScaling(input.scaling ?? DEFAULT_ROPE_PARAMS.scaling, name);
  const rotaryDim = rotaryDimFor(scaling.type, headDim, prf);
  checkRotaryDim(rotaryDim, `the rotary dim trunc(${name("headDim")} · ${name("partialRotaryFactor")}) = trunc(${headDim} · ${prf})`);
  const resonance = input.resonance ?? DEFAULT_ROPE_PARAMS.resonance;
  if (typeof resonance !== "boolean") throw invalid(`${name("resonance")} must be true or false, got ${show(resonance)}`);
  const params: RopeParams = { theta, headDim, partialRotaryFactor: prf, rotaryDim, maxPositionEmbeddings: maxPos, scaling, resonance };
  validateRopeParams(params, name);
  return params;
}

/** Runs the scheme's validator (also called by computeRope on hand-built params). */
export function validateRopeParams(params: RopeParams, name: FieldNamer = apiName): void {
  checkTheta(params.theta, name("theta"));
  checkRotaryDim(params.rotaryDim, name("rotaryDim"));
  const type: unknown = (params.scaling as { type?: unknown } | undefined)?.type;
  if (!isRopeType(type)) {
    throw invalid(`${name("type")} must be one of ${Object.keys(ROPE_SCHEMES).join(", ")}, got ${show(type)}`);
  }
  const expected = rotaryDimFor(params.scaling.type, params.headDim, params.partialRotaryFactor);
  if (params.rotaryDim !== expected) {
    throw invalid(`${name("rotaryDim")} must be ${expected} for headDim ${params.headDim} and partialRotaryFactor ${params.partialRotaryFactor}, got ${show(params.rotaryDim)}`);
  }
  ropeScheme(params.scaling.type).validate(params, name);
}
