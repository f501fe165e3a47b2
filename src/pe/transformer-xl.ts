/**
 * Transformer-XL relative positional encoding and segment-level recurrence (the math, float64).
 *
 * Formula: R_k = [sin(k·ω_0 … k·ω_{d/2−1}) | cos(k·ω_0 … )] (concat layout), ω_i = 1/10000^(2i/d_model), for the
 *   relative distances k = klen−1, klen−2, …, 0 (row r of R is distance klen−1−r), k clamped to `clampLen` when
 *   > 0. Per layer r = W_r·R (`r_net`, no bias, [H·d_head, d_model]). Score of query i (0-based in the segment,
 *   mlen memory positions before it) and key j (0 … mlen+i):
 *   s_ij = ((q_i + u)·k_j + (q_i + v)·r_{i+mlen−j}) / √d_head, u = `r_w_bias`, v = `r_r_bias` [H, d_head];
 *   causal: j ≤ i + mlen. The BD term is computed against every row of r and aligned by `relShift`.
 *   Memory: for layer l, the last `memLen` positions of [old memory; inputs of block l], no gradient.
 * Paper: Dai et al. 2019, "Transformer-XL: Attentive Language Models Beyond a Fixed-Length Context",
 *   arXiv:1901.02860 (§3.2, §3.3).
 * Reference: kimiyoung/transformer-xl pytorch/mem_transformer.py (PositionalEmbedding, RelMultiHeadAttn._rel_shift,
 *   RelPartialLearnableMultiHeadAttn.forward, MemTransformerLM._update_mems / _forward).
 * Models: Transformer-XL (WT103, enwik8, text8), XLNet (the same relative attention).
 * Parameters: `dModel` d (even); `clampLen` (0 = none); `memLen` M; per layer `r_net` W_r; shared or per-layer
 *   u, v (`untie_r`).
 * Config keys: `pe: "transformer-xl"` with `clamp_len`, `untie_r`, `mem_len` (TRANSFORMER_XL_SPEC below; the model's
 *   segment memory: src/model/gpt/segment-memory.ts).
 * Differences: none in the math. `relShift` reproduces the reference's pad-and-reshape exactly, including the
 *   values it leaves in the masked upper triangle (tests compare both with explicit indexing).
 */
import { checkInt } from "./check.js";
import { invalid } from "./errors.js";
import { defineEncoding, REFERENCE_INIT_STD } from "./spec.js";

/** ω_i = 1/10000^(2i/d), i < d/2 (the reference's `inv_freq`). */
export function txlInvFreq(dModel: number): Float64Array {
  checkInt("dModel", dModel, 2);
  if (dModel % 2 !== 0) throw invalid(`\`dModel\` must be even for the Transformer-XL embedding (sin | cos halves), got ${dModel}`);
  return Float64Array.from({ length: dModel / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / dModel));
}

/**
 * R [klen, d] row-major: row r is distance klen−1−r (clamped to `clampLen` when > 0), [sin | cos].
 * Example: `txlRelativeEmbedding(3, 4)` rows are distances 2, 1, 0; row 2 = [0, 0, 1, 1].
 */
export function txlRelativeEmbedding(klen: number, dModel: number, clampLen = 0): Float64Array {
  checkInt("klen", klen, 1);
  checkInt("clampLen", clampLen, 0);
  const w = txlInvFreq(dModel);
  const out = new Float64Array(klen * dModel);
  for (let r = 0; r < klen; r++) txlRelativeRow(clampLen > 0 ? Math.min(klen - 1 - r, clampLen) : klen - 1 - r, w, out, r * dModel);
  return out;
}

/**
 * R_k = [sin(k·ω) | cos(k·ω)] (one row of `txlRelativeEmbedding`, ω = `txlInvFreq(d)`) written at `out[offset…]`:
 * the decoder's rows for one distance at a time. Example: `txlRelativeRow(0, txlInvFreq(4))` = [0, 0, 1, 1].
 */
export function txlRelativeRow(k: number, invFreq: ArrayLike<number>, out: Float64Array<ArrayBufferLike> = new Float64Array(2 * invFreq.length), offset = 0): Float64Array<ArrayBufferLike> {
  const half = invFreq.length;
  for (let i = 0; i < half; i++) {
    out[offset + i] = Math.sin(k * invFreq[i]!);
    out[offset + half + i] = Math.cos(k * invFreq[i]!);
  }
  return out;
}

/**
 * The reference's `_rel_shift` of x [qlen, klen] (one batch row and head): prepend a zero column,
 * view the (qlen)×(klen+1) buffer as (klen+1)×qlen, drop its first row, view as qlen×klen. Below and on
 * the shifted diagonal (j ≤ i + klen − qlen) out[i][j] = x[i][j + qlen − 1 − i]; above it the buffer's
 * leftovers (masked by causality).
 */
export function relShift(x: ArrayLike<number>, qlen: number, klen: number): Float64Array {
  const padded = new Float64Array(qlen * (klen + 1));
  for (let i = 0; i < qlen; i++) for (let j = 0; j < klen; j++) padded[i * (klen + 1) + 1 + j] = x[i * klen + j]!;
  // drop the first qlen elements (the first row of the (klen+1)×qlen view), read qlen×klen
  return padded.slice(qlen, qlen + qlen * klen);
}

export interface TxlAttentionInput {
  /** Queries of the segment [qlen, H, dh]. */
  q: ArrayLike<number>;
  /** Keys and values of [memory; segment] [klen, H, dh]. */
  k: ArrayLike<number>;
  v: ArrayLike<number>;
  /** r = W_r·R [klen, H, dh] (row r: distance klen−1−r). */
  r: ArrayLike<number>;
  /** u = r_w_bias, v = r_r_bias [H, dh]. */
  u: ArrayLike<number>;
  vBias: ArrayLike<number>;
  qlen: number;
  klen: number;
  H: number;
  dh: number;
}

/** Scores [H, qlen, klen] of the reference formula by explicit indexing (−∞ above j ≤ i + mlen). */
export function txlScores(a: TxlAttentionInput): Float64Array {
  const { qlen, klen, H, dh } = a, mlen = klen - qlen, scale = 1 / Math.sqrt(dh);
  const s = new Float64Array(H * qlen * klen);
  for (let h = 0; h < H; h++) for (let i = 0; i < qlen; i++) for (let j = 0; j < klen; j++) {
    if (j > i + mlen) { s[(h * qlen + i) * klen + j] = -Infinity; continue; }
    const row = klen - 1 - (i + mlen - j); // R row of distance i + mlen − j
    let ac = 0, bd = 0;
    for (let c = 0; c < dh; c++) {
      const qc = a.q[(i * H + h) * dh + c]!;
      ac += (qc + a.u[h * dh + c]!) * a.k[(j * H + h) * dh + c]!;
      bd += (qc + a.vBias[h * dh + c]!) * a.r[(row * H + h) * dh + c]!;
    }
    s[(h * qlen + i) * klen + j] = (ac + bd) * scale;
  }
  return s;
}

/** Attention output [qlen, H, dh] = softmax_j(scores)·v. */
export function txlAttention(a: TxlAttentionInput): Float64Array {
  const { qlen, klen, H, dh } = a, s = txlScores(a);
  const out = new Float64Array(qlen * H * dh);
  for (let h = 0; h < H; h++) for (let i = 0; i < qlen; i++) {
    const row = s.subarray((h * qlen + i) * klen, (h * qlen + i + 1) * klen);
    let m = -Infinity;
    for (const x of row) m = Math.max(m, x);
    let z = 0;
    const p = Float64Array.from(row, (x) => { const e = Math.exp(x - m); z += e; return e; });
    for (let j = 0; j < klen; j++) for (let c = 0; c < dh; c++) out[(i * H + h) * dh + c]! += (p[j]! / z) * a.v[(j * H + h) * dh + c]!;
  }
  return out;
}

/**
 * `_update_mems` for one layer: the last `memLen` rows of [mems; hids] (rows of `width` values).
 * Example: `updateMems([1, 2], [3, 4, 5], 1, 3)` → [3, 4, 5] (rows 3, 4, 5 of width 1).
 */
export function updateMems(mems: ArrayLike<number>, hids: ArrayLike<number>, width: number, memLen: number): Float64Array {
  checkInt("width", width, 1);
  checkInt("memLen", memLen, 0);
  const all = new Float64Array(mems.length + hids.length);
  all.set(Array.from(mems));
  all.set(Array.from(hids), mems.length);
  const rows = all.length / width;
  return all.slice(Math.max(0, rows - memLen) * width);
}

/**
 * The registry entry: per layer `r_net.weight` [H·d_head, d_model] (W_r, no bias); u and v (`r_w_bias`,
 * `r_r_bias` [H, d_head]) shared by all layers (`pe.r_w_bias`), or per layer with `untie_r`
 * (`blocks.{i}.attn.pe.r_w_bias`); every tensor N(0, 0.02²) as the reference's `init_std`.
 */
export const TRANSFORMER_XL_SPEC = defineEncoding({
  name: "transformer-xl", aliases: {}, family: "contextual",
  summary: "relative sinusoids projected per layer, content and position biases u, v (AC + BD)",
  paper: "Dai et al. 2019, arXiv:1901.02860", reference: "kimiyoung/transformer-xl pytorch/mem_transformer.py", usedBy: "Transformer-XL, XLNet",
  models: ["transformer"], randomized: false,
  params: {
    clamp_len: { type: "int", default: 0, min: 0, help: "distances ≥ clamp_len use the embedding of clamp_len (0 = no clamp)", flag: "clamp-len", flagAliases: ["transformer-xl-clamp-len"] },
    untie_r: { type: "boolean", default: false, help: "one u, v pair per layer instead of one shared by all layers", flag: "untie-r", flagAliases: ["transformer-xl-untie-r"] },
    mem_len: { type: "int", default: 0, min: 0, help: "segment memory M: training reads the corpus as contiguous lanes and each segment also attends to the M positions before it (0 = one segment per window)", flag: "mem-len" },
  },
  validate: (_p, d) => (d.dModel % 2 === 0 ? null : `\`d_model\` must be even for pe "transformer-xl" (sin | cos halves), got ${d.dModel}`),
  tensors: (p, d) => {
    const bias = (name: string) => ({ name, scope: p.untieR ? "layer" as const : "shared" as const, shape: [d.nHeads, d.headDim], init: { kind: "normal" as const, std: REFERENCE_INIT_STD } });
    return [bias("r_w_bias"), bias("r_r_bias"), { name: "r_net.weight", scope: "layer", shape: [d.nHeads * d.headDim, d.dModel], init: { kind: "normal", std: REFERENCE_INIT_STD } }];
  },
});
