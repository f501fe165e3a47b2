/**
 * attentionForward / attentionBackward: causal multi-head attention, computed blockwise with an
 * online softmax (flash-attention style), never materialising T×T: per (b, h) the kernel holds one
 * blockQ×blockK tile of scores, so memory is O(T·HS) per (b, h) plus the saved logsumexp.
 *
 * Size legend: B batch, T time, NH heads, HS head size, C = NH·HS, D = maxDistance.
 *
 * Math (as shared/peers/torch_gpt.py): logit(i, j) = scale·(q_i·k_j) + bias(h, i, j), scale =
 * 1/√HS by default, causal (j ≤ i), softmax over j, out_i = Σ_j p_ij v_j. The bias is added after the
 * scaling and is not divided by √HS (ALiBi as the reference: table[h][d] = −m_h·d).
 *
 * Layouts:
 * - q, k, v [B, NH, T, HS] (from qkvRopeForward); dq, dk, dv the same.
 * - out, dout [B, T, C]: head h in channels h·HS … h·HS+HS−1, i.e. already the input of the output
 *   projection (no transpose kernel needed).
 * - lse [B, NH, T]: logsumexp of each query row's logits, saved by the forward for the backward.
 * - Bias modes (`AttentionBias`):
 *   · none (NoPE, RoPE, absolute encodings);
 *   · toeplitz: table [NH, D+1], bias(h, i, j) = table[h][min(pos_i − pos_j, D)] (ALiBi, T5 buckets,
 *     KERPLE, Sandwich, dynamic bias, FIRE while every query is below its threshold L). Distances
 *     beyond D use the last entry (saturating tables such as T5's; size exact tables with D ≥ T−1).
 *     pos = position ids when given (randomized positions), else 0…T−1;
 *   · dense: bias [NH, q1−q0, q1] for the queries [q0, q1) against the keys [0, q1) (FIRE beyond L,
 *     anything not Toeplitz). Feed it one query chunk at a time at long lengths: O(chunk·T) memory.
 * - window W > 0 (Longformer-style local causal): key j allowed for query i iff i − W < j ≤ i (on
 *   indices, not position ids); key blocks entirely outside the window are skipped. 0 = full causal.
 * - dilation (Longformer): pointer to int32 [NH], d_h ≥ 1 per head (0 = every head 1): head h keeps
 *   the keys i, i − d, i − 2d, … — W of them with a window (span (W − 1)·d + 1), all with W = 0. The
 *   kernel computes the span's tiles and masks the skipped keys: O(T·W·d) time, O(T·HS) memory.
 * - globalTokens G (with W > 0; Longformer's global attention in a causal LM = StreamingLLM's
 *   attention sinks): keys j < G are visible to every query i ≥ j, whatever the window and dilation.
 *   Their key blocks are visited first, then the window's: O(T·(W·d + G)).
 *   Visibility in one line: j ≤ i ∧ (j < G ∨ (j > i − span ∧ (i − j) mod d = 0)).
 * - Query range (forward only): `queries: {start: q0, end: q1}` computes only rows [q0, q1) of out and
 *   lse (keys [0, q1)); other rows are untouched. The backward always covers [0, T).
 *
 * Backward (flash-attention-2 style): recomputes each score tile from q, k and the saved lse;
 * D_i = rowsum(dout_i ∘ out_i); dS = P ∘ (dP − D); dq = scale·dS·K, dk = scale·dSᵀ·Q, dv = Pᵀ·dout.
 * Bias gradient (optional, `dBias` pointer, 0 = skip): toeplitz → dTable [B, NH, D+1] (sum of dS over
 * the (i, j) at each clamped distance); dense → dBias [B, NH, T, T] (zeros where masked). One slab
 * per (b, h), NOT reduced over B: the caller sums over B (in float64) into the parameter gradient,
 * so no two threads ever write the same bytes.
 *
 * Accumulate rule: everything is written with `=`: out, lse, dq, dk, dv, and the dTable/dBias
 * partial slabs (the caller's reduction into the parameter gradient is where `+=` happens).
 *
 * Parallel over B·NH: each (b, h) is independent and owns its out columns, lse row, dq/dk/dv slabs,
 * bias-gradient slab and scratch slot.
 *
 * Kernels (attention.as.ts, attention-tiled.as.ts; design and measurements in docs/engine.md):
 * HS % 4 == 0 takes the register-tiled path: query rows in groups of 4 whose score tiles are stored
 * interleaved ([key][row], one f32x4 = 4 rows at one key), so every product (QKᵀ, P·V, dO·Vᵀ, dS·K,
 * dSᵀ·Q, Pᵀ·dO) runs as a 4×8 tile of f32x4 accumulators and the online softmax handles 4 rows per
 * vector; the causal diagonal and window edges are masked per group, never per element in the
 * inner loops. Other head sizes take a row-at-a-time path with the same conventions. Measured
 * (1 thread, CPU ms, shared 2-core EPYC, before → after, table in docs/engine.md): B 16, T 128,
 * NH 4, HS 32: forward 8.2 → 5.7 (best 4.3), backward 19.6 → 12.2 (best 9.3); B 1, T 1024 forward
 * 32 → 18, backward 63 → 42; B 1, T 8192 forward 1.88 → 1.18 s.
 *
 * Scratch: per (b, h) one slot (`attentionScratchFloats` in total): with BQ4 = blockQ rounded up to
 * a multiple of 4 and T4 = T rounded up likewise, forward BQ4·blockK + 2·BQ4 + BQ4·HS + T4·HS floats
 * (score tiles, running max and sum, the packed query block, K packed in 4-key panels), backward
 * 2·BQ4·blockK + 2·BQ4 + 2·BQ4·HS + 2·T4·HS (P and dS tiles, D and lse, packed Q and dO blocks, packed
 * K and V). Pass `scratch` to reuse a planned buffer, otherwise the call takes it from the engine
 * arena and releases it before returning.
 *
 * Precision: float32 storage and arithmetic, exp by `expf4` (mathf4.as.ts, Cephes-style, ≤ 1 ulp,
 * checked against the float64 reference in the tests), logsumexp per row in float32. Every sum runs
 * in an order fixed by the shape and blocks, so results are the same bytes for any split over B·NH
 * and any thread count.
 * Non-finite inputs: the forward refuses a non-finite lse (NaN/Inf in q, k or the bias); NaN in v
 * propagates to out and is caught by the loss.
 */
import type { Engine } from "../../engine.js";
import { ExtraposError } from "../../../pe/errors.js";
import { ATTENTION_BACKWARD, ATTENTION_FORWARD, type AttentionBackwardArgs, type AttentionForwardArgs } from "../names.js";
import { checkPositionIds, requireBuffer, requireInt, withScratch, type PositionIds } from "./checks.js";

export interface AttentionShape {
  B: number;
  T: number;
  NH: number;
  HS: number;
}

export type AttentionBias =
  | { kind: "none" }
  /** table: pointer to float32 [NH, maxDistance + 1] */
  | { kind: "toeplitz"; table: number; maxDistance: number }
  /** bias: pointer to float32 [NH, q1 − q0, q1] (the forward's query range; [NH, T, T] for backward) */
  | { kind: "dense"; bias: number };

export interface AttentionBlocks {
  /** Query rows per tile (≥ 1). */
  query: number;
  /** Keys per tile (multiple of 4). */
  key: number;
}

/**
 * Tile sizes: 32 queries × 64 keys (P and dS tiles 8 KiB each, with the 64 keys' K and V panels 16 KiB:
 * all in L1). 16×64, 64×64, 32×128, 64×128, 32×256 measured within noise of it (T 128 and 1024).
 */
export const DEFAULT_ATTENTION_BLOCKS: AttentionBlocks = { query: 32, key: 64 };

export interface AttentionOptions {
  /** Additive bias; default none. */
  bias?: AttentionBias;
  /** Local causal window W (0 = full causal); default 0. */
  window?: number;
  /** Pointer to int32 [NH] per-head dilations ≥ 1 (Longformer); default 0 = none. */
  dilation?: number;
  /** The first G keys are visible to every query (global tokens / attention sinks; needs W > 0); default 0. */
  globalTokens?: number;
  /** Position ids for the Toeplitz distances (randomized positions); default 0…T−1. */
  positions?: PositionIds | null;
  /** Multiplier of q·k; default 1/√HS. */
  scale?: number;
  /** Forward only: the query rows to compute, default all [0, T). */
  queries?: { start: number; end: number };
  /** Tile sizes; default DEFAULT_ATTENTION_BLOCKS. */
  blocks?: AttentionBlocks;
  /** Pointer to attentionScratchFloats(...) floats; default: taken from the arena for this call. */
  scratch?: number;
}

/** Floats at the end of each (b, h) slot for the kernels' per-head state (HEAD_STATE_FLOATS in attention-params.as.ts). */
const HEAD_STATE_FLOATS = 16;

/**
 * The kernels' parameter block (`AttentionCall` in attention-params.as.ts): one word per field, in this
 * order, written at the end of the scratch; the kernels get its pointer as their only argument.
 */
const ATTENTION_PARAM_FIELDS = [
  "out", "lse", "q", "k", "v", "scratch", "dq", "dk", "dv", "dBias", "dout",
  "biasMode", "bias", "maxDist", "posIds", "posBatchStride",
  "T", "NH", "HS", "scale", "window", "q0", "q1", "BQ", "BK", "dilation", "globalTokens",
] as const;
/** The fields of the parameter block. */
export type AttentionParams = Record<(typeof ATTENTION_PARAM_FIELDS)[number], number>;
const PARAM_FLOATS = Math.ceil(ATTENTION_PARAM_FIELDS.length / 16) * 16;

/** Floats of scratch a forward or backward call needs (one slot per (b, h), then the parameter block). */
export function attentionScratchFloats(pass: "forward" | "backward", shape: AttentionShape, blocks = DEFAULT_ATTENTION_BLOCKS): number {
  // one slot per (b, h), as forwardSlotFloats / backwardSlotFloats in attention-tiled.as.ts, + the head state
  const { query: bq, key: bk } = blocks;
  const bq4 = Math.ceil(bq / 4) * 4, t4 = Math.ceil(shape.T / 4) * 4, hs = shape.HS;
  const slot = pass === "forward" ? bq4 * bk + 2 * bq4 + bq4 * hs + t4 * hs : 2 * bq4 * bk + 2 * bq4 + 2 * bq4 * hs + 2 * t4 * hs;
  return shape.B * shape.NH * (slot + HEAD_STATE_FLOATS) + PARAM_FLOATS;
}

/** Writes the parameter block at the end of `scratch` (`floats` long, from attentionScratchFloats); returns its pointer. */
export function writeAttentionParams(engine: Engine, scratch: number, floats: number, p: AttentionParams): number {
  const block = scratch + 4 * (floats - PARAM_FLOATS);
  const words = engine.i32(block, ATTENTION_PARAM_FIELDS.length);
  ATTENTION_PARAM_FIELDS.forEach((f, i) => { words[i] = p[f]; });
  engine.f32(block + 4 * ATTENTION_PARAM_FIELDS.indexOf("scale"), 1)[0] = p.scale;
  return block;
}

/**
 * out [B, T, C] and lse [B, NH, T] (`=`, rows of the query range) ← q, k, v [B, NH, T, HS].
 * Example: `attentionForward(engine, out, lse, q, k, v, {B: 1, T: 128, NH: 4, HS: 32}, {bias: {kind: "toeplitz", table, maxDistance: 127}})`.
 */
export function attentionForward(
  engine: Engine, out: number, lse: number, q: number, k: number, v: number,
  shape: AttentionShape, options: AttentionOptions = {},
): void {
  const op = "attentionForward";
  const a = commonArgs(engine, op, shape, options, [q, k, v]);
  const { B, T, NH, HS } = shape;
  requireBuffer(engine, op, "out", out, B * T * NH * HS);
  requireBuffer(engine, op, "lse", lse, B * NH * T);
  const floats = attentionScratchFloats("forward", shape, a.blocks);
  withScratch(engine, "attention", floats, options.scratch, (scratch) => {
    const block = writeAttentionParams(engine, scratch, floats, { ...a.params, out, lse, q, k, v, scratch, dq: 0, dk: 0, dv: 0, dBias: 0, dout: 0, T, NH, HS });
    const args: AttentionForwardArgs = [block];
    engine.parallelFor(ATTENTION_FORWARD, B * NH, args, 1, "attentionForward");
  });
  const l = engine.f32(lse, B * NH * T);
  for (let bh = 0; bh < B * NH; bh++) for (let i = a.q0; i < a.q1; i++) {
    if (!Number.isFinite(l[bh * T + i]!)) {
      throw new ExtraposError("non_finite", `${op}: non-finite logsumexp ${l[bh * T + i]} at (b·NH+h = ${bh}, t = ${i}) for shape B=${B} T=${T} NH=${NH} HS=${HS}`,
        "q, k or the bias hold NaN or Inf");
    }
  }
}

/**
 * dq, dk, dv [B, NH, T, HS] (`=`) and, if `dBias` ≠ 0, the per-(b, h) bias-gradient slabs (`=`:
 * dTable [B, NH, D+1] or dBias [B, NH, T, T]) ← dout [B, T, C], out, lse, q, k, v (same options as the forward).
 */
export function attentionBackward(
  engine: Engine, dq: number, dk: number, dv: number, dBias: number,
  dout: number, out: number, lse: number, q: number, k: number, v: number,
  shape: AttentionShape, options: AttentionOptions = {},
): void {
  const op = "attentionBackward";
  if (options.queries) throw new ExtraposError("invalid_argument", `${op}: \`queries\` is forward-only; the backward covers all T rows`);
  const a = commonArgs(engine, op, shape, options, [q, k, v]);
  const { B, T, NH, HS } = shape;
  for (const [n, p] of [["dq", dq], ["dk", dk], ["dv", dv]] as const) requireBuffer(engine, op, n, p, B * NH * T * HS);
  for (const [n, p] of [["dout", dout], ["out", out]] as const) requireBuffer(engine, op, n, p, B * T * NH * HS);
  requireBuffer(engine, op, "lse", lse, B * NH * T);
  const bias = options.bias ?? { kind: "none" };
  if (dBias !== 0) {
    if (bias.kind === "none") throw new ExtraposError("invalid_argument", `${op}: \`dBias\` given but the bias kind is "none"`);
    requireBuffer(engine, op, "dBias", dBias, B * NH * (bias.kind === "toeplitz" ? bias.maxDistance + 1 : T * T));
  }
  const floats = attentionScratchFloats("backward", shape, a.blocks);
  withScratch(engine, "attention", floats, options.scratch, (scratch) => {
    const block = writeAttentionParams(engine, scratch, floats, { ...a.params, out, lse, q, k, v, scratch, dq, dk, dv, dBias, dout, T, NH, HS, q0: 0, q1: T });
    const args: AttentionBackwardArgs = [block];
    engine.parallelFor(ATTENTION_BACKWARD, B * NH, args, 1, "attentionBackward");
  });
}

/** The validated options: the shape-independent fields of the parameter block, the query range and the blocks. */
interface CommonArgs {
  params: Omit<AttentionParams, "out" | "lse" | "q" | "k" | "v" | "scratch" | "dq" | "dk" | "dv" | "dBias" | "dout" | "T" | "NH" | "HS">;
  q0: number;
  q1: number;
  blocks: AttentionBlocks;
}

function commonArgs(engine: Engine, op: string, shape: AttentionShape, o: AttentionOptions, qkv: readonly [number, number, number]): CommonArgs {
  const { B, T, NH, HS } = shape;
  for (const [n, x] of [["B", B], ["T", T], ["NH", NH], ["HS", HS]] as const) requireInt(op, n, x, 1);
  const blocks = o.blocks ?? DEFAULT_ATTENTION_BLOCKS;
  requireInt(op, "blocks.query", blocks.query, 1);
  requireInt(op, "blocks.key", blocks.key, 4);
  if (blocks.key % 4 !== 0) throw new ExtraposError("invalid_argument", `${op}: \`blocks.key\` must be a multiple of 4, got ${blocks.key}`);
  const window = o.window ?? 0;
  requireInt(op, "window", window, 0);
  const dilation = o.dilation ?? 0, globalTokens = o.globalTokens ?? 0;
  requireInt(op, "globalTokens", globalTokens, 0);
  if (dilation !== 0) {
    requireBuffer(engine, op, "dilation", dilation, NH);
    const d = engine.i32(dilation, NH);
    for (let h = 0; h < NH; h++) {
      requireInt(op, `dilation[${h}]`, d[h]!, 1, window > 0 ? Math.floor((2 ** 31 - 2) / window) : 2 ** 31 - 1);
    }
  }
  const q0 = o.queries?.start ?? 0, q1 = o.queries?.end ?? T;
  requireInt(op, "queries.end", q1, 1, T);
  requireInt(op, "queries.start", q0, 0, q1 - 1);
  const scale = o.scale ?? 1 / Math.sqrt(HS);
  if (!Number.isFinite(scale)) throw new ExtraposError("invalid_argument", `${op}: \`scale\` must be finite, got ${scale}`);
  const bias = o.bias ?? { kind: "none" };
  let biasArgs: number[];
  if (bias.kind === "none") biasArgs = [0, 0, 0];
  else if (bias.kind === "toeplitz") {
    requireInt(op, "bias.maxDistance", bias.maxDistance, 0);
    requireBuffer(engine, op, "bias.table", bias.table, NH * (bias.maxDistance + 1));
    biasArgs = [1, bias.table, bias.maxDistance];
  } else if (bias.kind === "dense") {
    requireBuffer(engine, op, "bias.bias", bias.bias, NH * (q1 - q0) * q1);
    biasArgs = [2, bias.bias, 0];
  } else throw new ExtraposError("invalid_argument", `${op}: \`bias.kind\` must be "none", "toeplitz" or "dense", got ${JSON.stringify((bias as { kind: unknown }).kind)}`);
  let posArgs = [0, 0];
  if (o.positions) {
    if (bias.kind !== "toeplitz") throw new ExtraposError("invalid_argument", `${op}: \`positions\` only apply to a Toeplitz bias (rotate q/k for RoPE, bake them into a dense bias)`);
    posArgs = [o.positions.ptr, checkPositionIds(engine, op, o.positions, B, T, 2 ** 31 - 1)];
  }
  for (const [n, p] of [["q", qkv[0]], ["k", qkv[1]], ["v", qkv[2]]] as const) requireBuffer(engine, op, n, p, B * NH * T * HS);
  const [biasMode, biasPtr, maxDist] = biasArgs as [number, number, number], [posIds, posBatchStride] = posArgs as [number, number];
  return { params: { biasMode, bias: biasPtr, maxDist, posIds, posBatchStride, scale, window, q0, q1, BQ: blocks.query, BK: blocks.key, dilation, globalTokens }, q0, q1, blocks };
}

