/**
 * RoPE cos/sin tables and their application to q/k in the two memory layouts, with partial rotary.
 *
 * Formula: for pair i with angle a = m·θ_i, (x1, x2) → (x1·cos a − x2·sin a, x2·cos a + x1·sin a);
 *   then q_m·k_n depends only on m − n. Pairs: "half" = (x[i], x[i + r/2]) (HF `rotate_half`,
 *   GPT-NeoX, llama.cpp NEOX); "interleaved" = (x[2i], x[2i+1]) (GPT-J, Meta's llama, llama.cpp NORM).
 *   Channels ≥ r (the rotary dim) pass through unchanged (partial rotary).
 * Paper: Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary Position Embedding", arXiv:2104.09864.
 * Reference: huggingface/transformers src/transformers/models/llama/modeling_llama.py
 *   (`LlamaRotaryEmbedding.forward`, `rotate_half`, `apply_rotary_pos_emb`);
 *   kingoflolz/mesh-transformer-jax (GPT-J `rotate_every_two`) for the interleaved layout.
 * Models: half — Llama/Mistral/Qwen/Gemma/Phi in HF format, GPT-NeoX; interleaved — GPT-J, Meta llama
 *   checkpoints, torchtune, x-transformers, rotary-embedding-torch.
 * Parameters: invFreq (length r/2), positions (any finite numbers, huge ones fine), attentionFactor
 *   (multiplies cos and sin, so logits scale by its square; default 1), precision ("float64" | "float32").
 * Config keys: none (see hf-config.ts).
 * Differences: float64 angles carry the rounding error of the product pos·θ_i as a first-order
 *   correction (Dekker two-product), so cos/sin are those of the exact product; HF rounds to float32.
 *   The "float32" mode reproduces HF's float32 forward instead.
 */
import { invalid, show } from "../errors.js";
import { type RopePrecision } from "./inv-freq.js";

export type RopeLayout = "half" | "interleaved";

/** cos/sin rows in HF's half-split layout `cat(freqs, freqs)`, times the attention factor. Row-major [rows × width]. */
export interface RopeTable {
  /** Number of positions (rows). */
  rows: number;
  /** Row length = rotary dim = 2 · invFreq.length. */
  width: number;
  cos: Float64Array;
  sin: Float64Array;
}

const SPLIT = 134217729; // 2^27 + 1 (Dekker/Veltkamp split)

/** Exact error of the double product a·b: a·b = p + err (Dekker two-product). */
function productError(a: number, b: number, p: number): number {
  const ca = SPLIT * a, ah = ca - (ca - a), al = a - ah;
  const cb = SPLIT * b, bh = cb - (cb - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/**
 * cos/sin of position × inv_freq for every position, in HF's layout `cat(freqs, freqs)`, multiplied
 * by `attentionFactor`. float64: angle = pos·θ (double) plus its exact rounding error, reduced by
 * Math.cos/Math.sin (full-range argument reduction). float32: HF's float32 steps — f32(pos) ×
 * f32(θ) rounded, cos/sin rounded, times f32(attentionFactor) rounded.
 *
 * Example: `ropeCosSin(new Float64Array([1, 0.01]), [0, 1]).cos` → [1,1,1,1, cos 1, cos .01, cos 1, cos .01].
 */
export function ropeCosSin(
  invFreq: ArrayLike<number>,
  positions: ArrayLike<number>,
  attentionFactor = 1,
  precision: RopePrecision = "float64",
): RopeTable {
  if (!Number.isFinite(attentionFactor) || attentionFactor <= 0) {
    throw invalid(`\`attentionFactor\` must be a finite number > 0, got ${show(attentionFactor)}`);
  }
  const half = invFreq.length;
  const width = 2 * half;
  const rows = positions.length;
  const cos = new Float64Array(rows * width);
  const sin = new Float64Array(rows * width);
  const f32 = precision === "float32";
  const att = f32 ? Math.fround(attentionFactor) : attentionFactor;
  for (let p = 0; p < rows; p++) {
    const pos = positions[p]!;
    if (!Number.isFinite(pos)) throw invalid(`positions[${p}] must be a finite number, got ${show(pos)}`);
    for (let i = 0; i < half; i++) {
      let c: number, s: number;
      if (f32) {
        const a = Math.fround(Math.fround(pos) * Math.fround(invFreq[i]!));
        c = Math.fround(Math.fround(Math.cos(a)) * att);
        s = Math.fround(Math.fround(Math.sin(a)) * att);
      } else {
        const a = pos * invFreq[i]!;
        const err = productError(pos, invFreq[i]!, a);
        const c0 = Math.cos(a), s0 = Math.sin(a);
        c = (c0 - s0 * err) * att;
        s = (s0 + c0 * err) * att;
      }
      const o = p * width;
      cos[o + i] = c; cos[o + half + i] = c;
      sin[o + i] = s; sin[o + half + i] = s;
    }
  }
  return { rows, width, cos, sin };
}

function checkRow(x: ArrayLike<number>, cos: ArrayLike<number>, sin: ArrayLike<number>): number {
  const r = cos.length;
  if (sin.length !== r || r % 2 !== 0) {
    throw invalid(`cos and sin rows must have the same even length, got ${cos.length} and ${sin.length}`);
  }
  if (x.length < r) throw invalid(`the vector (length ${x.length}) is shorter than the rotary dim ${r}`);
  return r;
}

/**
 * Half-split rotation (HF `q·cos + rotate_half(q)·sin`): pair (x[i], x[i + r/2]), r = cos.length;
 * channels ≥ r pass through. `cos`/`sin` are one row of a RopeTable.
 *
 * Example: `rotateHalfSplit([1, 0], [0, 0], [1, 1])` → [0, 1] (a quarter turn).
 */
export function rotateHalfSplit(x: ArrayLike<number>, cos: ArrayLike<number>, sin: ArrayLike<number>, out = new Float64Array(x.length)): Float64Array {
  const r = checkRow(x, cos, sin);
  const h = r / 2;
  for (let i = 0; i < h; i++) {
    const a = x[i]!, b = x[i + h]!;
    out[i] = a * cos[i]! - b * sin[i]!;
    out[i + h] = b * cos[i + h]! + a * sin[i + h]!;
  }
  for (let i = r; i < x.length; i++) out[i] = x[i]!;
  return out;
}

/**
 * Interleaved rotation (GPT-J `rotate_every_two`): pair (x[2i], x[2i+1]) uses angle i, i.e. cos[i]
 * of the same half-split row; channels ≥ r pass through.
 *
 * Example: `rotateInterleaved([1, 0], [0, 0], [1, 1])` → [0, 1].
 */
export function rotateInterleaved(x: ArrayLike<number>, cos: ArrayLike<number>, sin: ArrayLike<number>, out = new Float64Array(x.length)): Float64Array {
  const r = checkRow(x, cos, sin);
  for (let i = 0; i < r / 2; i++) {
    const a = x[2 * i]!, b = x[2 * i + 1]!;
    out[2 * i] = a * cos[i]! - b * sin[i]!;
    out[2 * i + 1] = b * cos[i]! + a * sin[i]!;
  }
  for (let i = r; i < x.length; i++) out[i] = x[i]!;
  return out;
}

/** The rotation for a layout. */
export function rotateFor(layout: RopeLayout): typeof rotateHalfSplit {
  if (layout === "half") return rotateHalfSplit;
  if (layout === "interleaved") return rotateInterleaved;
  throw invalid(`\`layout\` must be "half" or "interleaved", got ${show(layout)}`);
}

/**
 * Rotates every head of every position: x is row-major [table.rows × nHeads × headDim], row t uses
 * table row t. Returns a new array.
 *
 * Example: `applyRope(q, ropeCosSin(invFreq, [0, 1, 2]), { layout: "half", headDim: 64 })`.
 */
export function applyRope(x: ArrayLike<number>, table: RopeTable, opts: { layout: RopeLayout; headDim: number }): Float64Array {
  const { layout, headDim } = opts;
  const rotate = rotateFor(layout);
  if (!Number.isInteger(headDim) || headDim < table.width) {
    throw invalid(`\`headDim\` must be an integer ≥ the rotary dim ${table.width}, got ${show(headDim)}`);
  }
  const perRow = x.length / table.rows;
  if (!Number.isInteger(perRow) || perRow % headDim !== 0) {
    throw invalid(`x has ${x.length} values, not a multiple of rows (${table.rows}) × headDim (${headDim})`);
  }
  const out = new Float64Array(x.length);
  const head = new Float64Array(headDim);
  const rotated = new Float64Array(headDim);
  for (let t = 0; t < table.rows; t++) {
    const c = table.cos.subarray(t * table.width, (t + 1) * table.width);
    const s = table.sin.subarray(t * table.width, (t + 1) * table.width);
    for (let h = 0; h < perRow / headDim; h++) {
      const o = t * perRow + h * headDim;
      for (let j = 0; j < headDim; j++) head[j] = x[o + j]!;
      rotate(head, c, s, rotated);
      out.set(rotated, o);
    }
  }
  return out;
}
