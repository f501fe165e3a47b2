/**
 * Model configuration: one typed object, its visible defaults, the presets, and the single parser that
 * validates it at the boundary (files, CLI, checkpoints).
 *
 * Key convention (decided once): files (`config.json`, a checkpoint's `__metadata__.config`) use
 * snake_case keys (`d_model`, `n_heads`, `pe.rotary_dim`); code uses camelCase (`dModel`, `nHeads`,
 * `pe.rotaryDim`). The converter is `parseModelConfig` (file form → code form, validating) and
 * `modelConfigToJson` (code form → file form); nothing else converts keys. Error messages name the
 * file-form key, because that is what users write. String values (`"kerple"`, `"half"`) are the
 * same in both forms; `pe` is parsed by the encoding registry (src/pe/encodings.ts `parsePe`).
 *
 * Derived fields are resolved when parsing, so a parsed config (and a checkpoint) holds every value
 * explicitly: `pe.rotary_dim: null` → the head dimension; `pe.table_size: null` → the context length
 * (or `randomized.max_length`); `pe.hidden: null` (dynamic-bias) → max(1, ⌊d_model/4⌋);
 * `embedding.init_std: null` → 0.02 (transformer, scale "none"), 1 (LSTM, scale "none"), d_model^−0.5
 * (scale "sqrt_d").
 *
 * Example:
 *   const cfg = parseModelConfig({ d_model: 64, n_heads: 2, pe: { kind: "alibi" } });
 *   cfg.pe.kind === "alibi"; modelConfigToJson(cfg).d_model === 64
 */
import { ENCODING_NAMES, encodingsFor, parsePe, peToJson, RANDOMIZABLE, type EncodingName, type PeConfig } from "../pe/encodings.js";
import { ExtraposError, show } from "../pe/errors.js";
import { REFERENCE_INIT_STD, type EncodingModel } from "../pe/spec.js";
import { parseAttentionPattern } from "./attention-pattern.js";

/** `"transformer"`: the reference GPT of the engine issue; `"lstm"`: the seed's embedding → LSTM → linear. */
export type ModelKind = EncodingModel;
/** `"byte"`: byte-level, 256 ids; `"gpt2"`: GPT-2 BPE, 50257 ids. */
export type TokenizerName = "byte" | "gpt2";
/** Minimum vocabulary per tokenizer (a larger, padded vocabulary is allowed; a smaller one would drop ids). */
export const TOKENIZER_VOCAB: Record<TokenizerName, number> = { byte: 256, gpt2: 50257 };

/** RoPE / xPos pairing of channels: `"half"` pairs (x[i], x[i+r/2]) (GPT-NeoX, HF Llama); `"interleaved"` pairs (x[2i], x[2i+1]) (GPT-J, Meta). */
export type RotaryLayout = "half" | "interleaved";

/**
 * Positional encoding of a model: `{kind, ...parameters}`, derived from the encoding registry (src/pe/encodings.ts,
 * one spec per encoding beside its math); `kind` is the canonical name (`"kerple"`; the alias `"kerple-log"` parses
 * to `{kind: "kerple", kernel: "log"}`).
 */
export type { PeConfig, PeConfigOf, Randomized } from "../pe/encodings.js";
/** Canonical encoding name, e.g. "rope". */
export type PeKind = EncodingName;

/**
 * How token embeddings enter the model (docs/model.md "Embedding scale"):
 * `"none"`: x = E[id] + PE(pos) (the PyTorch reference, torch_gpt.py; GPT-2); `"sqrt_d"`: x = √d·E[id] +
 * PE(pos) (Vaswani et al. 2017 §3.4; fairseq's `embed_scale`, unless `--no-scale-embedding`). The tied
 * output head always uses the unscaled E (logits = LN(x)·Eᵀ), as fairseq does.
 */
export type EmbeddingScale = "none" | "sqrt_d";

export interface EmbeddingConfig {
  /** Multiplier of the token embedding before the absolute encoding is added: 1 or √d_model. */
  scale: EmbeddingScale;
  /** Std of the normal initialisation of `tok_emb.weight`, e.g. 0.02 (resolved when parsing, see DEFAULT_EMBEDDING). */
  initStd: number;
}

/**
 * Default embedding convention in file form: no scale, init std derived (`null`): 0.02 for the
 * transformer (INIT_STD of torch_debug_state.py), 1 for the LSTM (nn.Embedding's default), d^−0.5 with
 * scale "sqrt_d" (fairseq's `Embedding()`: normal_(std=embedding_dim ** -0.5)). The string
 * `"fairseq"` is the preset {scale: "sqrt_d", init_std: null} (= d^−0.5); `"none"` / `"sqrt_d"` name a
 * scale with the derived std.
 */
export const DEFAULT_EMBEDDING = { scale: "none", init_std: null } as const;
/** Std of the normal initialisation of the transformer's weights (torch_debug_state.py `--init-std`). */
export const INIT_STD = REFERENCE_INIT_STD;
/** Std of the LSTM's `tok_emb.weight` by default: PyTorch nn.Embedding's N(0, 1). */
export const LSTM_EMBEDDING_INIT_STD = 1;

/** Named embedding presets accepted as a string (besides a scale name). */
export const EMBEDDING_PRESETS = { fairseq: { scale: "sqrt_d", init_std: null } } as const;

export interface ModelConfig {
  /** Architecture, e.g. "transformer". */
  model: ModelKind;
  /** Vocabulary size V (rows of `tok_emb.weight`), e.g. 256. */
  vocabSize: number;
  /** Tokenizer that produced the ids, e.g. "byte". */
  tokenizer: TokenizerName;
  /** Model width d, e.g. 128 (LSTM: embedding size and hidden size). */
  dModel: number;
  /** Transformer blocks (LSTM: stacked LSTM layers), e.g. 4. */
  nLayers: number;
  /** Attention heads, e.g. 4; d_model must be divisible by it (unused by the LSTM). */
  nHeads: number;
  /**
   * Whether each block has its MLP sublayer (ln2 → fc → GELU → proj + residual): true, the default;
   * false = attention-only blocks (ln1 → attention → proj + residual, no ln2 and no `mlp.*` tensors),
   * Zoology's associative-recall recipe (Arora et al. 2023, `state_mixer` = Identity). The file form
   * writes `mlp: false` only (a config or checkpoint without the key is a model with MLPs). Transformer only.
   */
  mlp: boolean;
  /** Training sequence length T, e.g. 128. */
  contextLength: number;
  /**
   * Local causal attention window: W for every layer or [w0, w1, …] one per layer (Longformer); query i
   * sees keys i−W+1 … i (with dilation d: i, i−d, …, i−(W−1)·d); null = full causal attention.
   */
  window: number | readonly number[] | null;
  /** Per-head dilation [n_layers][n_heads] (Longformer; file form also [n_heads] for every layer); null = none. */
  dilation: readonly (readonly number[])[] | null;
  /** The first G positions are visible to every later query (global tokens = attention sinks); 0 = none. */
  globalTokens: number;
  /** Positional encoding. */
  pe: PeConfig;
  /** Token-embedding scale and initialisation (default: unscaled, std 0.02 — the PyTorch reference). */
  embedding: EmbeddingConfig;
}

/** Canonical encoding names (the registry's order). */
export const PE_KINDS: readonly PeKind[] = ENCODING_NAMES;
/** Encodings the `randomized` option combines with (their specs say `randomized: true`). */
export { RANDOMIZABLE };
/** Encodings the LSTM accepts (their specs list "lstm"): absolute ones and none, added to the embeddings as the seed intended. */
export const LSTM_PE: readonly PeKind[] = encodingsFor("lstm");

/** Defaults (= the `tiny` preset) in file form: the reference model with RoPE on bytes. */
export const DEFAULT_MODEL_JSON = {
  model: "transformer",
  vocab_size: 256,
  tokenizer: "byte",
  d_model: 128,
  n_layers: 4,
  n_heads: 4,
  mlp: true,
  context_length: 128,
  window: null,
  dilation: null,
  global_tokens: 0,
  pe: { kind: "rope" },
  embedding: DEFAULT_EMBEDDING,
} as const;

/**
 * Presets of the engine issue, as overrides of the defaults in file form. `batch` belongs to the
 * training config (it is here so that a preset is one name); `model` is the model-config override.
 */
export const PRESETS = {
  /** d 128, 4 layers, 4 heads, T 128, batch 16: the defaults. */
  tiny: { model: {}, batch: 16 },
  /** d 256, 6 layers, 8 heads, T 256, batch 8. */
  small: { model: { d_model: 256, n_layers: 6, n_heads: 8, context_length: 256 }, batch: 8 },
} as const;
export type PresetName = keyof typeof PRESETS;

/** The default config, parsed (every derived value resolved). */
export const DEFAULT_MODEL_CONFIG: ModelConfig = parseModelConfig({});

// ---------------------------------------------------------------------------------------------------
// parsing

type Obj = Record<string, unknown>;

function bad(message: string, hint?: string): ExtraposError {
  return new ExtraposError("invalid_config", message, hint);
}

function asObject(x: unknown, path: string): Obj {
  if (typeof x !== "object" || x === null || Array.isArray(x)) {
    throw bad(`${path === "" ? "the model config" : `\`${path}\``} must be an object, got ${show(x)}`);
  }
  return x as Obj;
}

function refuseUnknown(o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      const where = path === "" ? "the model config" : `\`${path}\``;
      throw bad(`unknown key \`${path === "" ? k : `${path}.${k}`}\` in ${where}`, `allowed keys: ${allowed.join(", ")}`);
    }
  }
}

function int(v: unknown, key: string, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw bad(`\`${key}\` must be an integer ≥ ${min}, got ${show(v)}`);
  return v;
}

function positive(v: unknown, key: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw bad(`\`${key}\` must be a finite number > 0, got ${show(v)}`);
  return v;
}

function choice<T extends string>(v: unknown, key: string, options: readonly T[]): T {
  if (typeof v !== "string" || !options.includes(v as T)) throw bad(`\`${key}\` must be one of ${options.map((o) => `"${o}"`).join(", ")}, got ${show(v)}`);
  return v as T;
}

function bool(v: unknown, key: string): boolean {
  if (typeof v !== "boolean") throw bad(`\`${key}\` must be true or false, got ${show(v)}`);
  return v;
}

/**
 * Validates a model config in file form (snake_case; missing keys take `base`, which defaults to
 * `DEFAULT_MODEL_JSON`) and returns the resolved code form. Refuses unknown keys and any value that
 * would give a wrong answer, with one sentence naming the key, the constraint and the value.
 *
 * Derived values are resolved against the merged dimensions only where the input leaves them null or
 * absent: to change `d_model`/`n_heads` start from a preset (file form), not from `modelConfigToJson` of a
 * resolved config, whose explicit `pe.rotary_dim` would be kept (and then validated against the new head).
 *
 * Example: `parseModelConfig({ ...PRESETS.small.model, pe: "alibi" })`;
 * `parseModelConfig({ d_model: 130 })` throws "`d_model` must be divisible by `n_heads`, got 130 and 4".
 */
export function parseModelConfig(x: unknown, base: Readonly<Obj> = DEFAULT_MODEL_JSON): ModelConfig {
  const given = asObject(x, "");
  const top = ["model", "vocab_size", "tokenizer", "d_model", "n_layers", "n_heads", "mlp", "context_length", "window", "dilation", "global_tokens", "pe", "embedding"];
  refuseUnknown(given, top, "");
  const o: Obj = { ...base, ...given };
  const model = choice(o.model, "model", ["transformer", "lstm"] as const);
  const tokenizer = choice(o.tokenizer, "tokenizer", Object.keys(TOKENIZER_VOCAB) as TokenizerName[]);
  const vocabSize = int(o.vocab_size, "vocab_size", 1);
  if (vocabSize < TOKENIZER_VOCAB[tokenizer]) {
    throw bad(`\`vocab_size\` must be ≥ ${TOKENIZER_VOCAB[tokenizer]} for tokenizer "${tokenizer}", got ${vocabSize}`);
  }
  const dModel = int(o.d_model, "d_model", 1);
  const nLayers = int(o.n_layers, "n_layers", 1);
  const nHeads = int(o.n_heads, "n_heads", 1);
  const contextLength = int(o.context_length, "context_length", 1);
  if (model === "transformer" && dModel % nHeads !== 0) {
    throw bad(`\`d_model\` must be divisible by \`n_heads\`, got ${dModel} and ${nHeads}`);
  }
  const mlp = o.mlp === undefined ? true : bool(o.mlp, "mlp"); // absent (an older config or checkpoint): blocks with MLPs
  if (model === "lstm" && !mlp) throw bad("`mlp` applies to the transformer's blocks and must be true (or absent) for model \"lstm\", got false", "drop `mlp` (or --no-mlp) for the LSTM");
  const { window, dilation, globalTokens } = parseAttentionPattern(o, nLayers, nHeads);
  if (model === "lstm" && window !== null) throw bad(`\`window\` applies to attention and must be null for model "lstm", got ${show(window)}`);
  if (model === "lstm" && dilation !== null) throw bad(`\`dilation\` applies to attention and must be null for model "lstm", got ${show(dilation)}`);
  const pe = parsePe(o.pe, { dModel, nHeads, headDim: dModel / nHeads, nLayers, contextLength });
  if (model === "lstm" && !LSTM_PE.includes(pe.kind)) {
    throw bad(`\`pe\` must be one of ${LSTM_PE.map((k) => `"${k}"`).join(", ")} for model "lstm" (added to the embeddings), got "${pe.kind}"`);
  }
  const embedding = parseEmbedding(o.embedding, model, dModel);
  return { model, vocabSize, tokenizer, dModel, nLayers, nHeads, mlp, contextLength, window, dilation, globalTokens, pe, embedding };
}

/**
 * `embedding` in file form: absent/null (the default), a scale name or preset (`"sqrt_d"`, `"fairseq"`),
 * or `{scale, init_std}`; `init_std: null` resolves as DEFAULT_EMBEDDING says.
 */
function parseEmbedding(v: unknown, model: ModelKind, dModel: number): EmbeddingConfig {
  const scales = ["none", "sqrt_d"] as const;
  let given: Obj;
  if (v === undefined || v === null) given = {};
  else if (typeof v === "string") {
    if (Object.hasOwn(EMBEDDING_PRESETS, v)) given = { ...EMBEDDING_PRESETS[v as keyof typeof EMBEDDING_PRESETS] };
    else given = { scale: choice(v, "embedding", [...scales, ...Object.keys(EMBEDDING_PRESETS)]) };
  } else if (typeof v === "object" && !Array.isArray(v)) given = v as Obj;
  else throw bad(`\`embedding\` must be one of "none", "sqrt_d", "fairseq" or an object {scale, init_std}, got ${show(v)}`);
  refuseUnknown(given, Object.keys(DEFAULT_EMBEDDING), "embedding");
  const e: Obj = { ...DEFAULT_EMBEDDING, ...given };
  const scale = choice(e.scale, "embedding.scale", scales);
  const derived = scale === "sqrt_d" ? dModel ** -0.5 : model === "lstm" ? LSTM_EMBEDDING_INIT_STD : INIT_STD;
  const initStd = e.init_std === null ? derived : positive(e.init_std, "embedding.init_std");
  return { scale, initStd };
}

/** The factor s of x = s·E[id] + PE(pos): √d_model for scale "sqrt_d", else 1. */
export function embeddingScale(c: ModelConfig): number {
  return c.embedding.scale === "sqrt_d" ? Math.sqrt(c.dModel) : 1;
}

// ---------------------------------------------------------------------------------------------------
// code form → file form

function snakeKey(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function snakeDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeDeep);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [snakeKey(k), snakeDeep(x)]));
  }
  return v;
}

/**
 * The file form (snake_case keys) of a parsed config, as stored in `config.json` and in a checkpoint's
 * `__metadata__.config`. `parseModelConfig(modelConfigToJson(c))` deep-equals `c`. `mlp` is written only
 * when false, so that a model with MLPs has the same file form (and checkpoint bytes) as before the key existed.
 */
export function modelConfigToJson(c: ModelConfig): Obj {
  const out = snakeDeep({ ...c, pe: null }) as Obj;
  out.pe = peToJson(c.pe); // in place: the file form keeps the config's key order
  if (c.mlp) delete out.mlp;
  return out;
}

/** Head dimension d/H of a transformer config. */
/** Transformer-XL's segment-memory length M (`pe.mem_len`; src/model/gpt/segment-memory.ts); 0 for every other model. */
export function segmentMemoryLength(c: ModelConfig): number {
  return c.pe.kind === "transformer-xl" ? c.pe.memLen : 0;
}

export function headDim(c: ModelConfig): number {
  return c.dModel / c.nHeads;
}
