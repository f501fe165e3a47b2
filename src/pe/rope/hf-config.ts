/**
 * HF `config.json` → RopeParams: the only place that knows HF's snake_case keys.
 *
 * Formula: none (parsing). head_dim = `head_dim` or hidden_size // num_attention_heads;
 *   rotary dim = int(head_dim · partial_rotary_factor); θ = `rope_theta` (default 10000).
 * Paper: none.
 * Reference: huggingface/transformers src/transformers/modeling_rope_utils.py v5
 *   (`RotaryEmbeddingConfigMixin.standardize_rope_params`, `_validate_*_rope_parameters`,
 *   `_check_received_keys`) and v4.4x (`rope_config_validation`, `type` → `rope_type`).
 * Models: any HF RoPE config (Llama, Qwen2, Mistral, Phi-3, DeepSeek, Gemma, GPT-NeoX …).
 * Parameters: config (parsed JSON object), options.source (file name for messages),
 *   options.layerType (for v5 per-layer `rope_parameters`, e.g. "full_attention").
 * Config keys: `rope_theta`, `head_dim`, `hidden_size`, `num_attention_heads`, `partial_rotary_factor`,
 *   `max_position_embeddings`, `original_max_position_embeddings` (top level, Phi-3), `rope_scaling`
 *   (v4: `type` or `rope_type` + scaling keys) or `rope_parameters` (v5: also `rope_theta`,
 *   `partial_rotary_factor`); GPT-NeoX aliases `rotary_pct`, `rotary_emb_base`.
 * Differences: HF warns and carries on; we refuse: unknown keys in the scaling dict, factor < 1,
 *   non-finite/≤ 0 numbers, wrong longrope list lengths, the same setting given twice with different
 *   values (e.g. top-level and in-dict `original_max_position_embeddings`; v5 silently prefers the
 *   top-level one), `type` ≠ `rope_type`, both `rope_scaling` and `rope_parameters`, and `rotary_dim`
 *   (GPT-J). Fallbacks follow v5: `original_max_position_embeddings` ← `max_position_embeddings`
 *   (llama3/yarn/longrope); YaRN/LongRoPE `factor: null` ← max_position_embeddings / original.
 */
import { ExtraposError, invalid, show } from "../errors.js";
import { makeRopeParams } from "./params.js";
import { isRopeType, ROPE_SCHEMES, ropeScheme } from "./scaling/index.js";
import type { RopeParams, RopeType } from "./scaling/types.js";

/** HF scaling-dict key → our field name. */
const SCALING_KEYS: Record<string, string> = {
  factor: "factor",
  original_max_position_embeddings: "originalMaxPositionEmbeddings",
  beta_fast: "betaFast",
  beta_slow: "betaSlow",
  mscale: "mscale",
  mscale_all_dim: "mscaleAllDim",
  attention_factor: "attentionFactor",
  truncate: "truncate",
  short_factor: "shortFactor",
  long_factor: "longFactor",
  low_freq_factor: "lowFreqFactor",
  high_freq_factor: "highFreqFactor",
};
const SNAKE: Record<string, string> = Object.fromEntries(Object.entries(SCALING_KEYS).map(([s, c]) => [c, s]));
const TOP_LEVEL: Record<string, string> = {
  theta: "rope_theta", headDim: "head_dim", partialRotaryFactor: "partial_rotary_factor",
  maxPositionEmbeddings: "max_position_embeddings", rotaryDim: "head_dim · partial_rotary_factor", resonance: "resonance",
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export interface HfConfigOptions {
  /** Shown in errors: "… (in config.json)". */
  source?: string;
  /** For v5 per-layer `rope_parameters` ({"full_attention": {...}, "sliding_attention": {...}}). */
  layerType?: string;
}

/** The one value among several spellings, or undefined; refuses two different values. */
function oneOf(entries: Array<[string, unknown]>): unknown {
  const given = entries.filter(([, v]) => v !== undefined && v !== null);
  for (const [k, v] of given.slice(1)) {
    if (JSON.stringify(v) !== JSON.stringify(given[0]![1])) {
      throw invalid(`\`${given[0]![0]}\` and \`${k}\` disagree (${show(given[0]![1])} vs ${show(v)})`, "give the value once");
    }
  }
  return given[0]?.[1];
}

/** Picks the scaling dict and its display name. */
function scalingDict(config: Json, layerType: string | undefined): { dict: Json; dictName: string } {
  const { rope_scaling: rs, rope_parameters: rp } = config;
  if (rs != null && rp != null) throw invalid("give either `rope_scaling` (v4) or `rope_parameters` (v5), not both");
  const raw = rp ?? rs ?? {};
  let dictName = rp != null ? "rope_parameters" : "rope_scaling";
  if (!isObject(raw)) throw invalid(`\`${dictName}\` must be an object or null, got ${show(raw)}`);
  const values = Object.values(raw);
  const nested = values.length > 0 && values.every(isObject);
  if (!nested) {
    if (layerType !== undefined) throw invalid(`layer type ${show(layerType)} given, but \`${dictName}\` is not per-layer`);
    return { dict: raw, dictName };
  }
  if (layerType === undefined || !isObject(raw[layerType])) {
    throw invalid(`\`${dictName}\` is per layer type; choose one of ${Object.keys(raw).join(", ")}${layerType ? `, got ${show(layerType)}` : ""}`, "pass layerType (CLI: --layer-type)");
  }
  dictName = `${dictName}.${layerType}`;
  return { dict: raw[layerType] as Json, dictName };
}

function ropeTypeOf(dict: Json, dictName: string): RopeType {
  const given = oneOf([[`${dictName}.rope_type`, dict.rope_type], [`${dictName}.type`, dict.type]]);
  const scalingKeys = Object.keys(dict).filter((k) => !["rope_theta", "partial_rotary_factor"].includes(k));
  if (given === undefined && scalingKeys.length > 0) {
    throw invalid(`\`${dictName}\` has ${scalingKeys.map((k) => `\`${k}\``).join(", ")} but no \`rope_type\`, so the scaling method is unknown`, `add "rope_type": one of ${Object.keys(ROPE_SCHEMES).join(", ")}`);
  }
  const t = given ?? "default";
  if (t === "su") throw invalid(`\`${dictName}.type\` "su" is Phi-3's old name for "longrope"`, "set rope_type to \"longrope\"");
  if (!isRopeType(t)) {
    throw invalid(`unknown RoPE type ${show(t)} in \`${dictName}\``, `known types: ${Object.keys(ROPE_SCHEMES).join(", ")}`);
  }
  return t;
}

function headDimOf(config: Json): number {
  if (config.head_dim != null) return config.head_dim as number;
  const { hidden_size: h, num_attention_heads: n } = config;
  if (typeof h !== "number" || !Number.isInteger(h) || h < 1) throw invalid(`\`hidden_size\` must be an integer ≥ 1 (no \`head_dim\` given), got ${show(h)}`);
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw invalid(`\`num_attention_heads\` must be an integer ≥ 1 (no \`head_dim\` given), got ${show(n)}`);
  return Math.floor(h / n);
}

function parse(config: unknown, opts: HfConfigOptions): RopeParams {
  if (!isObject(config)) throw invalid(`the model config must be a JSON object, got ${show(config)}`);
  if (config.rotary_dim != null) throw invalid("`rotary_dim` (GPT-J style) is not supported", "set `partial_rotary_factor` = rotary_dim / head_dim");
  const { dict, dictName } = scalingDict(config, opts.layerType);
  const type = ropeTypeOf(dict, dictName);
  const scheme = ropeScheme(type);
  const fields = [...scheme.requiredKeys, ...scheme.optionalKeys] as string[];
  const scaling: { type: RopeType } & Record<string, unknown> = { type };
  for (const [key, value] of Object.entries(dict)) {
    if (["type", "rope_type", "rope_theta", "partial_rotary_factor"].includes(key)) continue;
    const field = SCALING_KEYS[key];
    if (field === undefined || !fields.includes(field)) {
      const allowed = fields.map((f) => SNAKE[f]).join(", ") || "none";
      throw invalid(`unknown key \`${dictName}.${key}\` for rope_type ${show(type)}`, `allowed keys: rope_type, rope_theta, partial_rotary_factor, ${allowed}`);
    }
    scaling[field] = value;
  }
  const theta = oneOf([[`${dictName}.rope_theta`, dict.rope_theta], ["rope_theta", config.rope_theta], ["rotary_emb_base", config.rotary_emb_base]]);
  const prf = oneOf([[`${dictName}.partial_rotary_factor`, dict.partial_rotary_factor], ["partial_rotary_factor", config.partial_rotary_factor], ["rotary_pct", config.rotary_pct]]);
  const maxPos = (config.max_position_embeddings ?? null) as number | null;
  if (fields.includes("originalMaxPositionEmbeddings")) {
    const orig = oneOf([["original_max_position_embeddings", config.original_max_position_embeddings], [`${dictName}.original_max_position_embeddings`, dict.original_max_position_embeddings]]);
    if (orig === undefined && maxPos === null) {
      throw invalid(`rope_type ${show(type)} needs \`${dictName}.original_max_position_embeddings\` or \`max_position_embeddings\`, got neither`);
    }
    scaling.originalMaxPositionEmbeddings = orig ?? maxPos; // v5 standardize_rope_params fallback
  }
  if ((type === "yarn" || type === "longrope") && (scaling.factor === undefined || scaling.factor === null)) {
    const orig = scaling.originalMaxPositionEmbeddings;
    if (typeof maxPos !== "number" || typeof orig !== "number" || orig <= 0) {
      throw invalid(`\`${dictName}.factor\` is null and cannot be derived as max_position_embeddings / original_max_position_embeddings (${show(maxPos)} / ${show(orig)})`);
    }
    scaling.factor = maxPos / orig; // v5: `if factor is None: factor = max_position_embeddings / original`
  }
  const name = (key: string): string => {
    if (key === "type") return `\`${dictName}.rope_type\``;
    if (SNAKE[key] !== undefined) return `\`${dictName}.${SNAKE[key]}\``;
    return `\`${TOP_LEVEL[key] ?? key}\``;
  };
  return makeRopeParams(
    {
      theta: theta as number | undefined,
      headDim: headDimOf(config),
      partialRotaryFactor: prf as number | undefined,
      maxPositionEmbeddings: maxPos,
      scaling,
    },
    name,
  );
}

/**
 * Parses a model's config.json object into RopeParams, applying HF's defaults and fallbacks and
 * refusing anything that would give a wrong answer (ExtraposError naming the field).
 *
 * Example: `ropeParamsFromHfConfig(JSON.parse(readFileSync("config.json", "utf8")), { source: "config.json" })`.
 */
export function ropeParamsFromHfConfig(config: unknown, opts: HfConfigOptions = {}): RopeParams {
  try {
    return parse(config, opts);
  } catch (e) {
    if (e instanceof ExtraposError && opts.source) {
      throw new ExtraposError(e.code === "invalid_argument" ? "invalid_config" : e.code, `${e.message} (in ${opts.source})`, e.hint);
    }
    throw e;
  }
}
