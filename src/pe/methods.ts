/**
 * PE_METHODS: the registry of model-level position encodings (explicit table; nothing registers itself).
 *
 * `kind` tells the model which hook to use: `absolute` (a [T, d] table added to the token embeddings),
 * `rotary` (rotate q/k), `bias` (an additive per-head [H, Tq, Tk] logit bias), `contextual` (a logit term computed
 * from q/k themselves, CoPE), `none`. `parameters` are the config keys (camelCase) with their defaults; `null`
 * means "derived from the model" (stated in `help`). docs/encodings.md has one section per entry (meta-tested).
 */

export type PeKind = "absolute" | "rotary" | "bias" | "none" | "contextual";

export interface PeParameter {
  default: number | string | boolean | null;
  help: string;
  /** Allowed values of a string parameter. */
  choices?: readonly string[];
}

export interface PeMethod {
  kind: PeKind;
  summary: string;
  /** Short citation: authors year, arXiv id. */
  paper: string;
  /** Models known to use it. */
  models: string;
  /** Where the math lives (relative to src/pe/). */
  module: string;
  parameters: Record<string, PeParameter>;
}

const LAYOUTS = ["interleaved", "concat"] as const;

export const PE_METHODS = {
  none: { kind: "none", summary: "NoPE: no position signal (causal attention only)", paper: "Kazemnejad et al. 2023, arXiv:2305.19466", models: "NoPE decoders", module: "nope.ts", parameters: {} },
  sinusoidal: {
    kind: "absolute", summary: "fixed sin/cos table added to the embeddings", paper: "Vaswani et al. 2017, arXiv:1706.03762",
    models: "Transformer, fairseq, tensor2tensor, the seed", module: "sinusoidal.ts",
    parameters: {
      base: { default: 10000, help: "frequency base" },
      layout: { default: "interleaved", help: "sin/cos column order", choices: LAYOUTS },
      spacing: { default: "vaswani", help: "frequency spacing", choices: ["vaswani", "t2t"] },
    },
  },
  adaptive: {
    kind: "absolute", summary: "the seed's length-adaptive periodic encoding", paper: "the seed document (§3–§4)", models: "the seed's model", module: "adaptive.ts",
    parameters: {
      lengthMode: { default: "sequence", help: "what L is: current sequence length, a fixed length, or a sliding window", choices: ["sequence", "fixed", "window"] },
      length: { default: null, help: "L for lengthMode fixed (default: the training sequence length)" },
      window: { default: null, help: "W for lengthMode window (default: the training sequence length)" },
      minPeriod: { default: 4, help: "period of the fastest pair in tokens (> 2)" },
      layout: { default: "interleaved", help: "sin/cos column order", choices: LAYOUTS },
    },
  },
  learned: {
    kind: "absolute", summary: "a learned [maxPositions, d] table", paper: "Gehring et al. 2017, arXiv:1705.03122", models: "GPT-2, BERT, OPT", module: "learned.ts",
    parameters: {
      maxPositions: { default: null, help: "rows of the table (default: the training sequence length)" },
      std: { default: 0.02, help: "init standard deviation" },
      beyondTable: { default: "refuse", help: "positions ≥ maxPositions: refuse, or clamp to the last row", choices: ["refuse", "clamp"] },
    },
  },
  rope: {
    kind: "rotary", summary: "rotary position embedding of q/k (math in src/pe/rope)", paper: "Su et al. 2021, arXiv:2104.09864",
    models: "Llama, GPT-NeoX, Mistral, Qwen, GPT-J", module: "rope/",
    parameters: {
      theta: { default: 10000, help: "frequency base" },
      layout: { default: "half", help: "pair layout", choices: ["half", "interleaved"] },
      rotaryDim: { default: null, help: "rotated channels per head (default: the full head dimension)" },
    },
  },
  xpos: {
    kind: "rotary", summary: "RoPE (interleaved) with per-pair decay ζ^(n/scaleBase)", paper: "Sun et al. 2022, arXiv:2212.10554", models: "LEX Transformer", module: "xpos.ts",
    parameters: {
      theta: { default: 10000, help: "RoPE frequency base" },
      scaleBase: { default: 512, help: "xPos scale base" },
      centre: { default: true, help: "centre the exponent positions as torchscale does" },
    },
  },
  alibi: {
    kind: "bias", summary: "linear distance penalty with geometric head slopes", paper: "Press et al. 2022, arXiv:2108.12409", models: "BLOOM, MPT, Falcon-RW, Baichuan-13B", module: "alibi.ts",
    parameters: { mode: { default: "causal", help: "causal (−m(i−j)) or symmetric (−m|i−j|)", choices: ["causal", "symmetric"] } },
  },
  t5: {
    kind: "bias", summary: "learned bias per log-bucketed relative distance", paper: "Raffel et al. 2020, arXiv:1910.10683", models: "T5, mT5, Flan-T5, UL2", module: "t5-buckets.ts",
    parameters: {
      numBuckets: { default: 32, help: "number of buckets" },
      maxDistance: { default: 128, help: "distance from which all share the last bucket" },
      bidirectional: { default: false, help: "separate buckets for keys after the query (encoders)" },
    },
  },
  "kerple-log": { kind: "bias", summary: "−r1·ln(1 + r2·|m−n|), learned per head", paper: "Chi et al. 2022, arXiv:2205.09921", models: "KERPLE GPT-NeoX", module: "kerple.ts", parameters: {} },
  "kerple-power": { kind: "bias", summary: "−a·|m−n|^p, learned per head", paper: "Chi et al. 2022, arXiv:2205.09921", models: "KERPLE GPT-NeoX", module: "kerple.ts", parameters: {} },
  fire: {
    kind: "bias", summary: "MLP of log-distance normalised by max(L, query position)", paper: "Li et al. 2024, arXiv:2310.04418", models: "FIRE decoders, Abacus arithmetic models", module: "fire.ts",
    parameters: {
      width: { default: 32, help: "hidden width of the MLP" },
      initC: { default: 0.1, help: "initial c of ψ(x) = ln(c·x + 1)" },
      initL: { default: 512, help: "base threshold L (times a learned multiplier)" },
      eps: { default: 1e-6, help: "added to the normaliser" },
    },
  },
  sandwich: { kind: "bias", summary: "inner product of sinusoidal encodings, per-head temperature", paper: "Chi et al. 2023, arXiv:2212.10356", models: "NeMo sandwich models", module: "sandwich.ts", parameters: {} },
  "dynamic-bias": {
    kind: "bias", summary: "MLP of the signed relative distance (x-transformers)", paper: "Wang et al. 2021, arXiv:2108.00154", models: "x-transformers dynamic_pos_bias", module: "dynamic-bias.ts",
    parameters: {
      width: { default: null, help: "hidden width (default: d_model/4, as x-transformers)" },
      depth: { default: 2, help: "hidden layers" },
      logDistance: { default: false, help: "feed sign(r)·ln(|r|+1)" },
    },
  },
  cope: {
    kind: "contextual", summary: "positions counted by sigmoid gates, interpolated embeddings", paper: "Golovneva et al. 2024, arXiv:2405.18719", models: "CoPE models, x-transformers use_cope", module: "cope.ts",
    parameters: { maxPos: { default: 16, help: "number of integer position embeddings" } },
  },
} as const satisfies Record<string, PeMethod>;

export type PeMethodName = keyof typeof PE_METHODS;
export const PE_METHOD_NAMES = Object.keys(PE_METHODS) as PeMethodName[];

/**
 * Position samplers that change the position ids fed to an encoding rather than being one (issue: `randomized`,
 * combinable with sinusoidal, learned, rope, alibi).
 */
export const POSITION_SAMPLERS = {
  randomized: {
    summary: "random sorted position ids from [0, maxLen) at training (Ruoss et al. 2023, arXiv:2305.16843)",
    module: "randomized.ts",
    combinesWith: ["sinusoidal", "learned", "rope", "alibi"] as const,
    parameters: { maxLen: { default: 2048, help: "range the positions are drawn from" } },
  },
} as const;
