/**
 * decodeAttention: causal multi-head attention of the newest `nq` query rows of each of B sequences
 * over that sequence's KV cache — the attention of incremental decoding (nq = 1 per step; nq > 1
 * for a prompt chunk whose keys were just appended). The cache is general on purpose: per layer one
 * K and one V slab [B, NH, S, HS] of S slots per sequence, and a position id per slot `pos` int32
 * [B, S], so the slot order need not be the position order (a rolling StreamingLLM-style cache only
 * rewrites slots and their positions).
 *
 * Math, per (b, h) and query row r (slot s = lens[b] − nq + r, position P_q = pos[b, s]), keys j ≤ s:
 *   logit_j = scale·(q·k_j) + bias(h, P_q, pos[b, j]), masked (−∞) unless key j is visible:
 *   P_k < G (global tokens, with a window) or (P_q − P_k ≤ (W − 1)·d (when W > 0) and (P_q − P_k) mod d = 0)
 *   — attention-pattern.ts's rule on positions, d = the head's dilation
 *   out = Σ_j softmax_j(logit)·v_j
 * Bias modes (`DecodeBias`):
 *   none; toeplitz table [NH, D+1]: bias = table[h][min(P_q − P_k, D)] (ALiBi, T5, KERPLE, Sandwich,
 *   dynamic bias, FIRE below its threshold); dense rows [NH, nq, stride]: bias = rows[h][r][j] (one
 *   set shared by the batch: FIRE beyond its threshold); cope: the contextual position term of
 *   cope.ts (gates σ(logit) summed from the newest key back, p = min(Σ, P − 1), + q·e interpolated;
 *   emb [P, HS]; no window).
 * Layouts: q rows [B·nq] of `qStride` floats, head h at floats h·HS…(h+1)·HS−1 (so the qkv linear's
 *   output [B·nq, 3C] is read in place); out rows [B·nq] of `outStride` floats, head h likewise;
 *   lens int32 [B] = keys valid per sequence INCLUDING the nq new ones (already appended).
 * Scratch: one slot of `scratchStride` ≥ S (+ P with CoPE) floats per (b, h).
 * Parameters: ONE block of DECODE_ATTENTION_PARAM_WORDS words in wasm memory (the word offsets are
 *   the PARAM_* constants of decode-attention.as.ts, in the order of `writeParams` below), not ~20
 *   positional numbers.
 * Shared prefix (`shared` P > 0, batch generation): keys j < P come from sequence 0's slabs for every
 *   sequence; the units then run head-major. The scores, softmax and sums are the same operations in
 *   the same order as over a copied prefix, so the bytes are equal (tested). With HS = 32 and nq = 1,
 *   two queries of a head go through the prefix together (each prefix key and value row loaded once
 *   for both: decode-attention32.as.ts) — again the same operations and order, so any split, i.e. any
 *   pairing of the queries, gives the same bytes.
 * Summation order (fixed by the shape): q·k in 4 lanes over channels mod 4, reduced (l0+l2)+(l1+l3),
 *   then the tail; Σ e_j in 4 lanes over j mod 4 then the tail; out accumulated in key order then
 *   scaled by 1/Σ. exp by expf4 (mathf4, ≤ 1 ulp; for HS = 32 expNeg4, the same values for the
 *   arguments it gets, x = logit − max ≤ 0). Parallel over B·NH: same bytes for any split.
 * Accumulate rule: out `=`.
 *
 * Example (one decoding step, B sequences, no bias):
 *   decodeAttention(engine, block, { out, outStride: C, q: qkv, qStride: 3 * C, k: kSlab, v: vSlab,
 *     lens, pos, slots: S, B, NH, HS, nq: 1, bias: { kind: "none" }, window: 0, scratch, scratchStride: S });
 */
import { ExtraposError } from "../../../pe/errors.js";
import { workGrain, type Engine } from "../../engine.js";
import { checkBuffer, checkSize } from "../checks.js";
import { DECODE_ATTENTION, type DecodeAttentionArgs } from "../names.js";

export type DecodeBias =
  | { kind: "none" }
  | { kind: "toeplitz"; table: number; maxDistance: number }
  | { kind: "dense"; rows: number; stride: number }
  | { kind: "cope"; emb: number; maxPos: number };

export interface DecodeAttentionCall {
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
  /** Multiplier of q·k; default 1/√HS. */
  scale?: number;
  bias: DecodeBias;
  /** Local causal window W on positions (0 = full causal). */
  window: number;
  /**
   * True when pos[b, j] = j for every valid slot (today's append-only cache): keys outside the window
   * are skipped instead of masked and Toeplitz entries are read 4 at a time. Default false.
   */
  contiguous?: boolean;
  /** Per-head dilation d (int32 [NH] pointer; 0 = 1 for every head): visible keys at distances multiple of d, within (W − 1)·d. */
  dilation?: number;
  /** Global tokens G (with a window): keys at positions < G are visible to every query. Default 0. */
  globalTokens?: number;
  /**
   * Shared prefix P (default 0): keys j < P of EVERY sequence are read from sequence 0's K/V slabs —
   * the batch's common prompt, stored once (its slots of sequences 1…B−1 are never read). Every query
   * must come after it (lens[b] − nq ≥ P). The kernel then runs head-major, so the B queries of a head
   * read the prefix one after the other while it is in cache. Same bytes as copying the prefix.
   */
  shared?: number;
  scratch: number;
  scratchStride: number;
}

/** Words of the parameter block. */
export const DECODE_ATTENTION_PARAM_WORDS = 24;
const MODES = { none: 0, toeplitz: 1, dense: 2, cope: 3 } as const;

/** Floats of scratch per (b, h) for S slots (and P CoPE positions), a multiple of 4. */
export function decodeScratchStride(slots: number, maxPos = 0): number {
  return Math.ceil((slots + maxPos) / 4) * 4;
}

/** Runs the kernel; `block` points to DECODE_ATTENTION_PARAM_WORDS words (e.g. planned once per decoder). */
export function decodeAttention(engine: Engine, block: number, a: DecodeAttentionCall): void {
  writeDecodeAttentionParams(engine, block, a);
  const args: DecodeAttentionArgs = [block];
  engine.parallelFor(DECODE_ATTENTION, a.B * a.NH, args, workGrain(engine, 2 * a.nq * a.slots * a.HS / 4), "decodeAttention");
}

/**
 * Checks a call and writes its parameter block, without running it: a caller that replays the same
 * call (same buffers; only the `lens` in memory move, within [nq, slots]) runs
 * `engine.parallelFor(DECODE_ATTENTION, B·NH, [block], grain)` itself (model/gpt/decode-step.ts).
 */
export function writeDecodeAttentionParams(engine: Engine, block: number, a: DecodeAttentionCall): void {
  const op = "decodeAttention";
  const { B, NH, HS, nq, slots: S } = a;
  for (const [n, x] of [["B", B], ["NH", NH], ["HS", HS], ["nq", nq], ["slots", S]] as const) checkSize(op, n, x);
  if (nq > S) throw new ExtraposError("shape_mismatch", `${op}: \`nq\` must be ≤ slots ${S}, got ${nq}`);
  checkSize(op, "qStride", a.qStride, NH * HS);
  checkSize(op, "outStride", a.outStride, NH * HS);
  checkSize(op, "window", a.window, 0);
  const maxPos = a.bias.kind === "cope" ? a.bias.maxPos : 0;
  checkSize(op, "globalTokens", a.globalTokens ?? 0, 0);
  if (a.dilation) {
    checkBuffer(engine, op, "dilation", a.dilation, NH, `[NH=${NH}]`);
    const d = engine.i32(a.dilation, NH);
    for (let h = 0; h < NH; h++) checkSize(op, `dilation[${h}]`, d[h]!, 1);
  }
  if (a.scratchStride < S + maxPos) throw new ExtraposError("shape_mismatch", `${op}: \`scratchStride\` must be ≥ slots + maxPos = ${S + maxPos}, got ${a.scratchStride}`);
  checkBuffer(engine, op, "block", block, DECODE_ATTENTION_PARAM_WORDS, `[${DECODE_ATTENTION_PARAM_WORDS}]`);
  checkBuffer(engine, op, "q", a.q, (B * nq - 1) * a.qStride + NH * HS, `[B·nq=${B * nq} rows of ${a.qStride}]`);
  checkBuffer(engine, op, "out", a.out, (B * nq - 1) * a.outStride + NH * HS, `[B·nq=${B * nq} rows of ${a.outStride}]`);
  for (const [n, p] of [["k", a.k], ["v", a.v]] as const) checkBuffer(engine, op, n, p, B * NH * S * HS, `[B=${B}, NH=${NH}, S=${S}, HS=${HS}]`);
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
  let bias = 0, biasArg = 0;
  if (a.bias.kind === "toeplitz") {
    checkSize(op, "bias.maxDistance", a.bias.maxDistance, 0);
    checkBuffer(engine, op, "bias.table", a.bias.table, NH * (a.bias.maxDistance + 1), `[NH=${NH}, D+1=${a.bias.maxDistance + 1}]`);
    [bias, biasArg] = [a.bias.table, a.bias.maxDistance];
  } else if (a.bias.kind === "dense") {
    checkSize(op, "bias.stride", a.bias.stride, Math.max(...Array.from(lens)));
    checkBuffer(engine, op, "bias.rows", a.bias.rows, NH * nq * a.bias.stride, `[NH=${NH}, nq=${nq}, ${a.bias.stride}]`);
    [bias, biasArg] = [a.bias.rows, a.bias.stride];
  } else if (a.bias.kind === "cope") {
    checkSize(op, "bias.maxPos", a.bias.maxPos, 1);
    if (a.window !== 0) throw new ExtraposError("invalid_argument", `${op}: CoPE takes no window, got window ${a.window}`);
    checkBuffer(engine, op, "bias.emb", a.bias.emb, a.bias.maxPos * HS, `[P=${a.bias.maxPos}, HS=${HS}]`);
    [bias, biasArg] = [a.bias.emb, a.bias.maxPos];
  }
  const scale = a.scale ?? 1 / Math.sqrt(HS);
  if (!Number.isFinite(scale)) throw new ExtraposError("invalid_argument", `${op}: \`scale\` must be finite, got ${scale}`);
  const w = engine.i32(block, DECODE_ATTENTION_PARAM_WORDS);
  w.set([a.out, a.outStride, a.q, a.qStride, a.k, a.v, a.lens, a.pos, S, NH, HS, nq, 0, MODES[a.bias.kind], bias, biasArg, a.window, a.scratch, a.scratchStride, a.contiguous ? 1 : 0, a.dilation ?? 0, a.globalTokens ?? 0, shared, B]);
  engine.f32(block + 12 * 4, 1)[0] = scale;
}
