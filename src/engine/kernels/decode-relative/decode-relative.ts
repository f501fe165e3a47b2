/**
 * decodeRelativeAttention: Transformer-XL's relative attention (Dai et al. 2019; src/pe/transformer-xl.ts)
 * of the newest `nq` query rows of each of B sequences over that sequence's KV cache — the attention of
 * incremental decoding for `pe: "transformer-xl"` (the engine decoder, model/gpt/engine-decoder.ts,
 * through model/gpt/xl-decode.ts). The cache is decode-attention.ts's: per layer one K and one V slab
 * [B, NH, S, HS], a position per slot `pos` int32 [B, S] (slot order need not be position order: a
 * rolling cache), `lens` int32 [B] valid slots per sequence INCLUDING the nq new ones.
 *
 * Math, per (b, h) and query row r (slot s = lens[b] − nq + r, position P_q = pos[b, s]), keys j ≤ s at
 * distance d_j = P_q − pos[b, j]:
 *   logit_j = scale·((q + u_h)·k_j + (q + vb_h)·r_h[min(d_j, D)]),  scale = 1/√HS by default,
 *   masked (−∞) where d_j < 0;  out = Σ_j softmax_j(logit)·v_j.
 * u = r_w_bias, vb = r_r_bias [NH, HS]; r [NH, D+1, HS] = W_r·R_δ per distance δ (the forward's
 * "txl.r" rows, relative.ts): D = clamp_len, or at least the largest distance in the cache.
 * It is the relative attention's last rows: the same logits as relative.ts's AC + BD for the queries at
 * the end of a segment with memory (tested against the float64 reference and against relativeAttentionForward).
 * Layouts: q rows [B·nq] of `qStride` floats (head h at h·HS…), out rows [B·nq] of `outStride` floats.
 * Scratch: one slot of `decodeRelativeScratchStride(S, HS)` floats per (b, h): the logits, q + u, q + vb.
 * Shared prefix (`shared` P > 0): keys j < P come from sequence 0's slabs (batch generation from one
 *   prompt, as decode-attention.ts); the units then run head-major. Every query must come after it.
 * Parameters: ONE block of DECODE_RELATIVE_PARAM_WORDS words (decode-relative.as.ts's PARAM_* offsets).
 * Summation order (fixed by the shape): each dot in 4 lanes over channels mod 4 reduced (l0+l2)+(l1+l3),
 *   then the tail; Σ e_j in 4 lanes then the tail; out in key order then scaled by 1/Σ. Parallel over
 *   B·NH: the same bytes for any split. Accumulate rule: out `=`.
 * Float64 reference: decode-relative.ref.ts (tested on odd sizes, decode-relative.test.ts).
 *
 * Example (one step, B = 1): `decodeRelativeAttention(engine, block, { out, outStride: C, q: qkv,
 *   qStride: 3 * C, k, v, lens, pos, slots: S, B: 1, NH, HS, nq: 1, r, u, vb, maxDistance: S - 1,
 *   scratch, scratchStride: decodeRelativeScratchStride(S, HS) })`.
 */
import { ExtraposError } from "../../../pe/errors.js";
import { workGrain, type Engine } from "../../engine.js";
import { checkBuffer, checkSize } from "../checks.js";
import { DECODE_RELATIVE } from "../names.js";

export interface DecodeRelativeCall {
  out: number;
  outStride: number;
  q: number;
  qStride: number;
  k: number;
  v: number;
  lens: number;
  pos: number;
  slots: number;
  B: number;
  NH: number;
  HS: number;
  nq: number;
  /** Multiplier of both terms; default 1/√HS. */
  scale?: number;
  /** float32 [NH, maxDistance + 1, HS]: W_r·R per distance. */
  r: number;
  /** float32 [NH, HS]: r_w_bias (u) and r_r_bias (vb). */
  u: number;
  vb: number;
  /** Distances ≥ D read row D (clamp_len). */
  maxDistance: number;
  /** Shared prefix P (default 0), as decode-attention.ts's `shared`. */
  shared?: number;
  scratch: number;
  scratchStride: number;
}

/** Words of the parameter block. */
export const DECODE_RELATIVE_PARAM_WORDS = 21;

/** Floats of scratch per (b, h) for S slots and head size HS: the logits (S rounded up to 4), q + u, q + vb. */
export function decodeRelativeScratchStride(slots: number, HS: number): number {
  return Math.ceil(slots / 4) * 4 + 2 * HS;
}

/** Checks a call and writes its parameter block, without running it (a caller may replay it: only `lens` and `pos` in memory move). */
export function writeDecodeRelativeParams(engine: Engine, block: number, a: DecodeRelativeCall): void {
  const op = "decodeRelativeAttention";
  const { B, NH, HS, nq, slots: S, maxDistance: D } = a;
  for (const [n, x] of [["B", B], ["NH", NH], ["HS", HS], ["nq", nq], ["slots", S]] as const) checkSize(op, n, x);
  if (nq > S) throw new ExtraposError("shape_mismatch", `${op}: \`nq\` must be ≤ slots ${S}, got ${nq}`);
  checkSize(op, "qStride", a.qStride, NH * HS);
  checkSize(op, "outStride", a.outStride, NH * HS);
  checkSize(op, "maxDistance", D, 0);
  const need = decodeRelativeScratchStride(S, HS);
  if (a.scratchStride < need) throw new ExtraposError("shape_mismatch", `${op}: \`scratchStride\` must be ≥ ${need} (slots rounded up to 4 + 2·HS), got ${a.scratchStride}`);
  checkBuffer(engine, op, "block", block, DECODE_RELATIVE_PARAM_WORDS, `[${DECODE_RELATIVE_PARAM_WORDS}]`);
  checkBuffer(engine, op, "q", a.q, (B * nq - 1) * a.qStride + NH * HS, `[B·nq=${B * nq} rows of ${a.qStride}]`);
  checkBuffer(engine, op, "out", a.out, (B * nq - 1) * a.outStride + NH * HS, `[B·nq=${B * nq} rows of ${a.outStride}]`);
  for (const [n, p] of [["k", a.k], ["v", a.v]] as const) checkBuffer(engine, op, n, p, B * NH * S * HS, `[B=${B}, NH=${NH}, S=${S}, HS=${HS}]`);
  checkBuffer(engine, op, "r", a.r, NH * (D + 1) * HS, `[NH=${NH}, D+1=${D + 1}, HS=${HS}]`);
  for (const [n, p] of [["u", a.u], ["vb", a.vb]] as const) checkBuffer(engine, op, n, p, NH * HS, `[NH=${NH}, HS=${HS}]`);
  checkBuffer(engine, op, "pos", a.pos, B * S, `[B=${B}, S=${S}]`);
  checkBuffer(engine, op, "lens", a.lens, B, `[B=${B}]`);
  checkBuffer(engine, op, "scratch", a.scratch, B * NH * a.scratchStride, `[B·NH=${B * NH}, ${a.scratchStride}]`);
  const lens = engine.i32(a.lens, B), shared = a.shared ?? 0;
  checkSize(op, "shared", shared, 0);
  for (let b = 0; b < B; b++) {
    if (!(lens[b]! >= nq + shared && lens[b]! <= S)) {
      throw new ExtraposError("shape_mismatch", `${op}: lens[${b}] must be in [${shared > 0 ? `shared + nq=${shared + nq}` : `nq=${nq}`}, slots=${S}], got ${lens[b]}`);
    }
  }
  const scale = a.scale ?? 1 / Math.sqrt(HS);
  if (!Number.isFinite(scale)) throw new ExtraposError("invalid_argument", `${op}: \`scale\` must be finite, got ${scale}`);
  const w = engine.i32(block, DECODE_RELATIVE_PARAM_WORDS);
  w.set([a.out, a.outStride, a.q, a.qStride, a.k, a.v, a.lens, a.pos, S, NH, HS, nq, 0, a.r, a.u, a.vb, D, a.scratch, a.scratchStride, shared, B]);
  engine.f32(block + 12 * 4, 1)[0] = scale;
}

/** Work of one (sequence, head) unit in multiply-adds: both dots over every key, and the weighted sum. */
export function decodeRelativeUnitMacs(a: Pick<DecodeRelativeCall, "nq" | "slots" | "HS">): number {
  return 3 * a.nq * a.slots * a.HS;
}

/** Writes the block and runs the kernel over B·NH units. */
export function decodeRelativeAttention(engine: Engine, block: number, a: DecodeRelativeCall): void {
  writeDecodeRelativeParams(engine, block, a);
  engine.parallelFor(DECODE_RELATIVE, a.B * a.NH, [block], workGrain(engine, decodeRelativeUnitMacs(a) / 4), "decodeRelativeAttention");
}
