/**
 * The contract between models (transformer, LSTM) and everything that drives them (training loop,
 * evaluation, generation, benchmark). Model-agnostic on purpose: the trainer never branches on the
 * kind of model or encoding.
 */

/** A batch of token windows. `inputs` and `targets` are [B, T] row-major; target −1 = ignored. */
export interface TokenBatch {
  B: number;
  T: number;
  inputs: Int32Array;
  targets: Int32Array;
  /** Optional position ids [B, T] (randomized positions at training); default 0..T−1 per row. */
  positions?: Int32Array;
  /**
   * True when row b continues row b of the previous batch of the same kind (training, or evaluation):
   * consecutive segments of B contiguous lanes. A model with segment memory (Transformer-XL, `pe.mem_len`
   * > 0) then attends to its memory of them; otherwise (absent, false, or another B) its memory starts
   * empty. Models without memory ignore it.
   */
  continues?: boolean;
}

/** A named float32 tensor, row-major, PyTorch layout for linear weights ([out, in]). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Options that change only how a trained model is evaluated (never its weights). */
export interface EvalOptions {
  /** RoPE scaling at evaluation, as an HF `rope_scaling` dict (e.g. {rope_type: "yarn", factor: 4}). */
  ropeScaling?: Record<string, unknown>;
  /**
   * Randomized-position models (`pe.randomized`): draw each row's positions as at training — sorted
   * distinct ids from [0, max_length), from `Rng(seed)` — the reference protocol of Ruoss et al. (fresh
   * random positions at every call, evaluation included). Ignored by models without `pe.randomized`;
   * absent = positions 0…T−1.
   */
  randomPositions?: { seed: number };
}

/** StreamingLLM's rolling KV cache: keep the first `sinks` tokens and the last `recent` (src/model/gpt/rolling-cache.ts). */
export interface RollingCache {
  /** Initial tokens kept for good (attention sinks), e.g. 4. */
  sinks: number;
  /** Most recent tokens kept, e.g. 1020 (with `segment`: the memory M kept from before the current segment). */
  recent: number;
  /**
   * Transformer-XL's segment-level recurrence (Dai et al. 2019) instead of a rolling window: the stream is
   * read in segments of this many tokens; a token sees its segment so far and the last `recent` tokens
   * before the segment (the memory), evicted only at segment boundaries. Absent: a rolling window.
   */
  segment?: number;
}

/** Options of `startDecoding`: the evaluation options and, optionally, a rolling cache (constant memory). */
export interface DecodingOptions extends EvalOptions {
  cache?: RollingCache;
}

/** Incremental decoding with a KV cache. */
export interface Decoder {
  /** Tokens consumed so far (= position of the next token). */
  readonly length: number;
  /** Appends tokens (to every sequence of a batch); returns the logits [V] predicting the token after the last one (sequence 0). */
  feed(tokens: Int32Array): Float32Array;
  /** Sequences decoded together (default 1); they share what `feed` appended before the first `feedBatch`. */
  readonly batch?: number;
  /** Batch decoders: appends one token per sequence ([batch]); returns the logits [batch, V]. */
  feedBatch?(tokens: Int32Array): Float32Array;
  /** Releases the decoder's memory (engine decoders); feeding afterwards is an error. */
  dispose?(): void;
}

/** How to decode: batch size and the length to plan the cache for (a hint: caches grow). */
export interface DecodeOptions {
  /** Sequences decoded together, e.g. `--num-samples 8`; default 1. */
  batch?: number;
  /** Tokens per sequence to plan for (prompt + new tokens); default the model's context length. */
  capacity?: number;
  /**
   * With worker threads, how the transformer's generation steps split their kernels (the same bytes
   * for every choice; model/gpt/decode-step.ts): "coarse" (default) splits only large kernels; "fine"
   * splits small ones too with the workers spinning; "auto" times both while generating and runs the
   * faster. On the idle 2-core machine "fine" and "auto" had faster best steps but a slower and erratic
   * mean (docs/engine.md "Threads where they pay"), hence the default.
   */
  threadPolicy?: "auto" | "coarse" | "fine";
}

export interface TrainableModel {
  /** The resolved model config, JSON-serialisable (stored in checkpoints). */
  readonly configJson: Record<string, unknown>;
  readonly vocabSize: number;
  /** Parameters in table order (views into engine memory: valid until dispose). */
  parameters(): NamedTensor[];
  /** Sets all gradients to zero. */
  zeroGrad(): void;
  /**
   * Forward and backward of the mean cross-entropy over the non-ignored targets; gradients are
   * accumulated (+=) multiplied by `gradScale` (1/accumulation steps). Returns the mean loss (nats).
   */
  forwardBackward(batch: TokenBatch, gradScale: number): number;
  /**
   * Global gradient L2 norm, clip to `maxGradNorm` (torch.nn.utils.clip_grad_norm_ semantics), then
   * one AdamW step at learning rate `lr`. Returns the norm before clipping. `maxGradNorm` Infinity = no
   * clipping. A non-finite norm throws `ExtraposError("non_finite")` and leaves every parameter unchanged.
   */
  optimizerStep(lr: number, maxGradNorm: number): number;
  /** AdamW state for exact resume: step count and the m/v tensors. */
  optimizerState(): { step: number; tensors: NamedTensor[] };
  loadOptimizerState(state: { step: number; tensors: NamedTensor[] }): void;
  /**
   * Models with segment memory (Transformer-XL): the training memory carried to the next batch (copies),
   * saved in the train state so that a resume continues bit-identically; [] when empty.
   */
  memoryState?(): NamedTensor[];
  /** Restores what `memoryState` returned (refuses tensors that do not fit the model). */
  loadMemoryState?(tensors: readonly NamedTensor[]): void;
  /** Forward only: negative log-likelihood (nats) of each target [B·T]; NaN where target < 0. */
  nll(batch: TokenBatch, opts?: EvalOptions): Float64Array;
  /**
   * Optional, for speed (Transformer-XL): the NLL of each target [B·T] with every row read in segments of
   * `segment` tokens and a memory of `memLen` positions — what `startDecoding` with the cache {sinks: 0,
   * recent: memLen, segment} gives token by token.
   */
  segmentNll?(batch: TokenBatch, opts: EvalOptions, segment: number, memLen: number): Float64Array;
  /**
   * Optional, for speed: the argmax token at every position [B·T] of one forward pass (teacher forcing);
   * equal to feeding the same tokens through `startDecoding` and taking each argmax. Targets are ignored.
   */
  predict?(batch: TokenBatch, opts?: EvalOptions): Int32Array;
  /** Starts incremental decoding (KV cache) for generation. */
  startDecoding(opts?: DecodingOptions, decode?: DecodeOptions): Decoder;
  /** Releases engine memory and threads. */
  dispose(): void | Promise<void>;
}
