/**
 * Model configuration: one typed object, its visible defaults, the presets, and the single parser that
 * validates it at the boundary (files, CLI, checkpoints).
 *
 * Key convention (decided once): files (`config.json`, a checkpoint's `__metadata__.config`) use
 * snake_case keys (`d_model`, `n_heads`, `pe.rotary_dim`); code uses camelCase (`dModel`, `nHeads`,
 * `pe.rotaryDim`). The converter is `parseModelConfig` (file form → code form, validating) and
 * `modelConfigToJson` (code form → file form); nothing else converts keys. Error messages name the
 * file-form key, because that is what users write. String values (`"kerple-log"`, `"half"`) are the
 * same in both forms.
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
import { ExtraposError, show } from "../pe/errors.js";
import { parseAttentionPattern } from "./attention-pattern.js";

/** `"transformer"`: the reference GPT of the engine issue; `"lstm"`: the seed's embedding → LSTM → linear. */
export type ModelKind = "transformer" | "lstm";
/** `"byte"`: byte-level, 256 ids; `"gpt2"`: GPT-2 BPE, 50257 ids. */
export type TokenizerName = "byte" | "gpt2";
/** Minimum vocabulary per tokenizer (a larger, padded vocabulary is allowed; a smaller one would drop ids). */
export const TOKENIZER_VOCAB: Record<TokenizerName, number> = { byte: 256, gpt2: 50257 };

/** RoPE / xPos pairing of channels: `"half"` pairs (x[i], x[i+r/2]) (GPT-NeoX, HF Llama); `"interleaved"` pairs (x[2i], x[2i+1]) (GPT-J, Meta). */
export type RotaryLayout = "half" | "interleaved";

/** Ruoss et al. 2023: at training, position ids are a sorted random subset of [0, maxLength). */
export interface Randomized {
  /** Upper bound (exclusive) of the sampled positions, ≥ the context length, e.g. 2048. */
  maxLength: number;
}

/** Positional encoding of a model; `kind` is the name users type (`--pe kerple-log`). */
export type PeConfig =
  /** NoPE: no positional signal (causal masking alone). */
  | { kind: "none" }
  /** The seed's module: interleaved sin/cos, Vaswani spacing base^(−2i/d), added to embeddings unscaled. */
  | { kind: "sinusoidal"; base: number; randomized: Randomized | null }
  /** The seed's length-adaptive periodic encoding (src/pe/adaptive.ts), added to embeddings unscaled. */
  | { kind: "adaptive" }
  /** A learned table `pos_emb.weight` [tableSize, d] added to embeddings; beyond the table see `beyondTable`. */
  | { kind: "learned"; tableSize: number; beyondTable: "clamp" | "refuse"; randomized: Randomized | null }
  /** RoPE on the first `rotaryDim` channels of each q/k head (the rest pass unrotated). */
  | { kind: "rope"; layout: RotaryLayout; theta: number; rotaryDim: number; randomized: Randomized | null }
  /** xPos: RoPE times ζ_i^(±pos/scaleBase), ζ_i = (2i + 0.4·r)/(1.4·r) (torchscale). */
  | { kind: "xpos"; layout: RotaryLayout; theta: number; rotaryDim: number; scaleBase: number }
  /** ALiBi: bias −m_h·(i−j) with the reference slopes, not divided by √d. */
  | { kind: "alibi"; randomized: Randomized | null }
  /** T5 bucketed relative bias (causal buckets), one table `pe.t5.bias` [numBuckets, nHeads] shared by all layers. */
  | { kind: "t5"; numBuckets: number; maxDistance: number }
  /** KERPLE log kernel: −r1·log(1 + r2·|i−j|), r1, r2 per head and layer. */
  | { kind: "kerple-log" }
  /** KERPLE power kernel: −a·|i−j|^p, a, p per head and layer. */
  | { kind: "kerple-power" }
  /** FIRE: f(ψ(i−j)/ψ(max(L, i))), ψ(x) = log(c·x + 1), f an MLP 1 → hidden → nHeads (ReLU), per layer. */
  | { kind: "fire"; hidden: number; initC: number; initL: number }
  /** Sandwich: the inner product of sinusoidal encodings as a bias, per-head temperature (fixed, no parameters). */
  | { kind: "sandwich" }
  /** Dynamic position bias (x-transformers): an MLP of the distance, 1 → hidden (SiLU) ×depth → nHeads, shared. */
  | { kind: "dynamic-bias"; hidden: number; depth: number; logDistance: boolean }
  /** CoPE: contextual positions from sigmoid gates, embeddings [maxPos, head dim] per layer. */
  | { kind: "cope"; maxPos: number };

export type PeKind = PeConfig["kind"];

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
export const INIT_STD = 0.02;
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

/**
 * Default of every encoding's parameters, in file form; `null` marks a derived value (see the header).
 * Sources: sinusoidal base 10000 (Vaswani et al.); RoPE theta 10000, half layout, full head (the issue's
 * defaults); xPos scale_base 512 and interleaved layout (microsoft/torchscale); T5 32 buckets, max distance
 * 128 (T5); FIRE hidden 32, c 0.1, L 512 (Li et al. 2024 / mcleish7/arithmetic); dynamic bias depth 2,
 * hidden d/4 (x-transformers); CoPE max_pos 16 (x-transformers `cope_max_pos`).
 */
export const DEFAULT_PE = {
  none: {},
  sinusoidal: { base: 10000, randomized: null },
  adaptive: {},
  learned: { table_size: null, beyond_table: "clamp", randomized: null },
  rope: { layout: "half", theta: 10000, rotary_dim: null, randomized: null },
  xpos: { layout: "interleaved", theta: 10000, rotary_dim: null, scale_base: 512 },
  alibi: { randomized: null },
  t5: { num_buckets: 32, max_distance: 128 },
  "kerple-log": {},
  "kerple-power": {},
  fire: { hidden: 32, init_c: 0.1, init_l: 512 },
  sandwich: {},
  "dynamic-bias": { hidden: null, depth: 2, log_distance: false },
  cope: { max_pos: 16 },
} as const satisfies Record<PeKind, Record<string, unknown>>;

export const PE_KINDS = Object.keys(DEFAULT_PE) as PeKind[];
/** Encodings the `randomized` option combines with (the issue's list). */
export const RANDOMIZABLE: readonly PeKind[] = ["sinusoidal", "learned", "rope", "alibi"];
/** Encodings the LSTM accepts: absolute ones, added to the embeddings as the seed intended. */
export const LSTM_PE: readonly PeKind[] = ["none", "sinusoidal", "adaptive", "learned"];

/** Defaults (= the `tiny` preset) in file form: the reference model with RoPE on bytes. */
export const DEFAULT_MODEL_JSON = {
  model: "transformer",
  vocab_size: 256,
  tokenizer: "byte",
  d_model: 128,
  n_layers: 4,
  n_heads: 4,
  context_length: 128,
  window: null,
  dilation: null,
  global_tokens: 0,
  pe: { kind: "rope", ...DEFAULT_PE.rope },
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
  const top = ["model", "vocab_size", "tokenizer", "d_model", "n_layers", "n_heads", "context_length", "window", "dilation", "global_tokens", "pe", "embedding"];
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
  const { window, dilation, globalTokens } = parseAttentionPattern(o, nLayers, nHeads);
  if (model === "lstm" && window !== null) throw bad(`\`window\` applies to attention and must be null for model "lstm", got ${show(window)}`);
  if (model === "lstm" && dilation !== null) throw bad(`\`dilation\` applies to attention and must be null for model "lstm", got ${show(dilation)}`);
  const dims = { dModel, headDim: dModel / nHeads, contextLength };
  const pe = parsePe(o.pe, dims);
  if (model === "lstm" && !LSTM_PE.includes(pe.kind)) {
    throw bad(`\`pe\` must be one of ${LSTM_PE.map((k) => `"${k}"`).join(", ")} for model "lstm" (added to the embeddings), got "${pe.kind}"`);
  }
  const embedding = parseEmbedding(o.embedding, model, dModel);
  return { model, vocabSize, tokenizer, dModel, nLayers, nHeads, contextLength, window, dilation, globalTokens, pe, embedding };
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

interface Dims {
  dModel: number;
  headDim: number;
  contextLength: number;
}

function parseRandomized(v: unknown, contextLength: number): Randomized | null {
  if (v === null || v === undefined) return null;
  const r = asObject(v, "pe.randomized");
  refuseUnknown(r, ["max_length"], "pe.randomized");
  const maxLength = int(r.max_length, "pe.randomized.max_length", 1);
  if (maxLength < contextLength) {
    throw bad(`\`pe.randomized.max_length\` must be ≥ \`context_length\`, got ${maxLength} and ${contextLength}`);
  }
  return { maxLength };
}

function parseRotaryDim(v: unknown, headDim: number): number {
  if (v === null || v === undefined) {
    if (headDim % 2 !== 0) throw bad(`a rotary encoding needs an even head dimension (\`d_model\`/\`n_heads\`), got ${headDim}`, "set `pe.rotary_dim` to an even number ≤ the head dimension");
    return headDim;
  }
  const r = int(v, "pe.rotary_dim", 2);
  if (r % 2 !== 0 || r > headDim) throw bad(`\`pe.rotary_dim\` must be even and ≤ the head dimension ${headDim}, got ${r}`);
  return r;
}

/** `pe` in file form: a kind name (`"alibi"`) or an object `{kind, ...parameters}`. */
function parsePe(v: unknown, dims: Dims): PeConfig {
  const given = typeof v === "string" ? { kind: v } : asObject(v, "pe");
  const kind = choice(given.kind, "pe.kind", PE_KINDS);
  const defaults: Obj = DEFAULT_PE[kind];
  if (given.randomized !== undefined && !RANDOMIZABLE.includes(kind)) {
    throw bad(`\`pe.randomized\` combines only with ${RANDOMIZABLE.map((k) => `"${k}"`).join(", ")}, got pe "${kind}"`);
  }
  refuseUnknown(given, ["kind", ...Object.keys(defaults)], "pe");
  const p: Obj = { ...defaults, ...given };
  switch (kind) {
    case "none": case "adaptive": case "kerple-log": case "kerple-power": case "sandwich":
      return { kind };
    case "sinusoidal":
      return { kind, base: positive(p.base, "pe.base"), randomized: parseRandomized(p.randomized, dims.contextLength) };
    case "learned": {
      const randomized = parseRandomized(p.randomized, dims.contextLength);
      const need = randomized?.maxLength ?? dims.contextLength;
      const tableSize = p.table_size === null ? need : int(p.table_size, "pe.table_size", 1);
      if (tableSize < need) throw bad(`\`pe.table_size\` must be ≥ ${randomized ? "`pe.randomized.max_length`" : "`context_length`"}, got ${tableSize} and ${need}`);
      return { kind, tableSize, beyondTable: choice(p.beyond_table, "pe.beyond_table", ["clamp", "refuse"] as const), randomized };
    }
    case "rope":
      return {
        kind, layout: choice(p.layout, "pe.layout", ["half", "interleaved"] as const), theta: positive(p.theta, "pe.theta"),
        rotaryDim: parseRotaryDim(p.rotary_dim, dims.headDim), randomized: parseRandomized(p.randomized, dims.contextLength),
      };
    case "xpos":
      return {
        kind, layout: choice(p.layout, "pe.layout", ["half", "interleaved"] as const), theta: positive(p.theta, "pe.theta"),
        rotaryDim: parseRotaryDim(p.rotary_dim, dims.headDim), scaleBase: positive(p.scale_base, "pe.scale_base"),
      };
    case "alibi":
      return { kind, randomized: parseRandomized(p.randomized, dims.contextLength) };
    case "t5": {
      const numBuckets = int(p.num_buckets, "pe.num_buckets", 2);
      const maxDistance = int(p.max_distance, "pe.max_distance", 1);
      // the causal bucketing has numBuckets/2 exact buckets, then logarithmic ones up to maxDistance
      if (maxDistance <= Math.floor(numBuckets / 2)) {
        throw bad(`\`pe.max_distance\` must be > \`pe.num_buckets\`/2 (the exact buckets), got ${maxDistance} and ${numBuckets}`);
      }
      return { kind, numBuckets, maxDistance };
    }
    case "fire":
      return { kind, hidden: int(p.hidden, "pe.hidden", 1), initC: positive(p.init_c, "pe.init_c"), initL: positive(p.init_l, "pe.init_l") };
    case "dynamic-bias":
      return {
        kind, hidden: p.hidden === null ? Math.max(1, Math.floor(dims.dModel / 4)) : int(p.hidden, "pe.hidden", 1),
        depth: int(p.depth, "pe.depth", 1), logDistance: bool(p.log_distance, "pe.log_distance"),
      };
    case "cope":
      return { kind, maxPos: int(p.max_pos, "pe.max_pos", 1) };
  }
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
 * `__metadata__.config`. `parseModelConfig(modelConfigToJson(c))` deep-equals `c`.
 */
export function modelConfigToJson(c: ModelConfig): Obj {
  return snakeDeep(c) as Obj;
}

/** Head dimension d/H of a transformer config. */
export function headDim(c: ModelConfig): number {
  return c.dModel / c.nHeads;
}
