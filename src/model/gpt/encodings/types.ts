/**
 * The contract between the transformer's call lists (train-pass.ts, eval-pass.ts, decoder.ts) and one
 * positional encoding. Each `PeConfig.kind` has one adapter file beside this one; `index.ts` is the
 * explicit table. An adapter plugs into at most these hook points of the engine forward:
 *   - embedding (absolute encodings): a position table for `embeddingForward` (+ its gradient);
 *   - q/k rotation (rotary encodings): cos/sin tables for `qkvRopeForward`;
 *   - attention (bias encodings): a Toeplitz table or a dense bias per layer (+ gradients from the
 *     kernel's per-batch slabs), or CoPE (the cope kernel replaces the attention call);
 * and gives float64 `PositionHooks` (src/model/reference.ts) for the reference forward and the decoder.
 *
 * Tables are computed in float64 by `src/pe` and stored float32 in the activation arena: constant ones
 * once per plan, parameter-dependent ones at every forward (`prepare`).
 */
import type { Engine } from "../../../engine/engine.js";
import type { Arena, TensorSpec } from "../../../engine/memory/plan.js";
import type { AttentionBias } from "../../../engine/kernels/attention/attention.js";
import type { RelativeParams } from "../../../engine/kernels/attention/relative.js";
import type { PositionIds } from "../../../engine/kernels/attention/checks.js";
import type { QkvRotation } from "../../../engine/kernels/qkv-rope/qkv-rope.js";
import type { EvalOptions } from "../../lm.js";
import type { ModelConfig } from "../../config.js";
import type { Params } from "../../params.js";
import type { PositionHooks } from "../../reference.js";
import type { MemoryPass } from "../segment-memory.js";

/** The model state an encoding reads (parameters) and writes (their gradients). */
export interface EncodingEnv {
  readonly cfg: ModelConfig;
  readonly engine: Engine;
  readonly params: Arena;
  readonly grads: Arena;
}

/** The shape one activation plan is made for. */
export interface PlanShape {
  B: number;
  T: number;
  /** Rows of the position tables = largest position id + 1 (T; `randomized.maxLength` at training). */
  span: number;
  /** Training plans keep every layer's activations and the backward buffers; evaluation plans do not. */
  training: boolean;
  /** Evaluation plans: query rows per dense-bias chunk (FIRE beyond its threshold). */
  queryChunk: number;
  /** Segment-memory rows m before the T rows (Transformer-XL; keys span m + T); absent = 0. */
  memory?: number;
}

/** One forward call: the plan, its arena, the positions and the evaluation options. */
export interface Pass {
  readonly shape: PlanShape;
  /** Unique per plan (re-planning, even to an identical shape, gives a new id and a zeroed arena). */
  readonly planId: number;
  readonly acts: Arena;
  /** Position ids int32 [B, T] in the arena ("pos.ids"), always filled (0…T−1 by default). */
  readonly posIdsPtr: number;
  /** The same ids in JS memory. */
  readonly posIds: Int32Array;
  /** True when the ids are not 0…T−1 in every row (randomized positions): kernels then read them. */
  readonly explicitPositions: boolean;
  readonly evalOptions: EvalOptions;
  /** The segment memory this forward reads and builds (Transformer-XL with mem_len > 0), else null. */
  readonly memory: MemoryPass | null;
}

/** What `attention` should run for one layer. */
export type AttentionMode =
  | {
    kind: "attention";
    bias: AttentionBias;
    /** Position ids for a Toeplitz bias with explicit positions, else null. */
    positions: PositionIds | null;
    /** Where attentionBackward writes the bias-gradient slabs (0: no gradient wanted). */
    dSlab: number;
  }
  /** CoPE: the cope kernel with the layer's embeddings; dEmb = its [B, NH, P, HS] gradient slabs. */
  | { kind: "cope"; emb: number; dEmb: number; maxPos: number; scratch: number }
  /** Transformer-XL: relative attention (relative.ts) with the layer's r, u, v; grads: where its backward writes dr, du, dv (0 = none). */
  | { kind: "relative"; params: RelativeParams; grads: { dr: number; du: number; dvBias: number } | null };

/** Absolute encodings: the table `embeddingForward` adds, its row ids [B·T] and its gradient. */
export interface EmbeddingTable {
  table: number;
  rows: number;
  ids: number;
  /** Gradient of the table (learned), or 0 when the table is constant. */
  dTable: number;
}

/** Rotary encodings: the qkv-rope rotation and, for explicit positions, the ids. */
export interface Rotation {
  rotation: QkvRotation;
  positions: PositionIds | null;
}

/** Options of the float64 hooks. */
export interface HookOptions {
  /** Length of the sequence the hooks serve (adaptive's L, dynamic RoPE's seq_len, xPos's centre). */
  T: number;
  /** True for incremental decoding: xPos then centres its exponents on the training length (fixed). */
  decoding?: boolean;
  evalOptions?: EvalOptions;
}

/**
 * KV-cache policy of the decoder (decoder.ts):
 * - "keys-after-rotation": keys are final when computed (RoPE with static frequencies, xPos, every bias
 *   encoding: the bias is computed from positions at attention time, none, absolute encodings);
 * - "recompute-on-frequency-change": the rotary frequencies depend on the current length (dynamic NTK,
 *   LongRoPE's short/long switch); while they are unchanged the cache holds rotated keys, and when they
 *   change every cached key AND value of every layer is stale (deeper layers' keys come from hidden
 *   states that attended with the old frequencies), so the prefix is recomputed;
 * - "recompute": every position's encoding depends on the current length (adaptive: L = T), so nothing can
 *   be cached; each step runs the full forward over the prefix.
 */
export type CachePolicy = "keys-after-rotation" | "recompute-on-frequency-change" | "recompute";

export interface Encoding {
  /** Distinguishes plans that need different buffers for the same shape (FIRE: Toeplitz or dense). */
  planVariant(shape: PlanShape): string;
  /** Extra activation tensors for a plan. */
  tensors(shape: PlanShape): TensorSpec[];
  /** Called before layer 0 of each forward: fills the tables (parameters may have changed). */
  prepare(pass: Pass): void;
  embedding(pass: Pass): EmbeddingTable | null;
  rotation(pass: Pass, layer: number): Rotation | null;
  /** Attention of `layer` for the query rows [q0, q1) (a dense bias covers just those rows). */
  attention(pass: Pass, layer: number, q0: number, q1: number): AttentionMode;
  /** True when an evaluation forward must run the attention in query chunks (dense bias). */
  denseAt(pass: Pass): boolean;
  /** After `layer`'s attention backward: parameter gradients from the slabs `attention` named. */
  attentionBackward(pass: Pass, layer: number): void;
  /** After every layer's backward: gradients of parameters shared by all layers. */
  finishBackward(pass: Pass): void;
  /** After each optimizer step (and at load): projections of the parameters (KERPLE's clamp). */
  afterUpdate(): void;
  /** float64 hooks over `params` for the reference forward and the decoder. */
  hooks(params: Params, opts: HookOptions): PositionHooks;
  cachePolicy(evalOptions: EvalOptions): CachePolicy;
  /** Identifies the rotary frequencies in use at sequence length T ("" when they never change). */
  frequencyKey(evalOptions: EvalOptions, T: number): string;
  /** Refuses evaluation options the encoding cannot honour (RoPE scaling on a non-RoPE model). */
  checkEvalOptions(evalOptions: EvalOptions): void;
}
