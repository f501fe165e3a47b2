/**
 * relativeAttentionForward / relativeAttentionBackward: Transformer-XL's relative attention (Dai et al.
 * 2019; src/pe/transformer-xl.ts) with segment memory, on the engine's blockwise attention kernel.
 *
 * Size legend: B batch, S segment (query) rows, M memory rows, K = M + S key rows, NH heads, HS head
 * size, C = NH·HS, D = maxDistance.
 *
 * Math: for segment query i (global index M + i) and key j ≤ M + i,
 *   logit(i, j) = scale·((q_i + u)·k_j + (q_i + v)·r[min(M + i − j, D)]),  scale = 1/√HS,
 * softmax over j, out_i = Σ_j p_ij v_j. r [NH, D+1, HS] holds W_r·R per distance (the reference's
 * r_head_k read through `_rel_shift`; D = clamp_len, or K − 1 without clamping). The AC term runs in
 * the attention kernel on q + u; the BD term is the kernel's dense bias, built per batch row.
 *
 * Layouts: q [B, NH, S, HS]; k, v [B, NH, K, HS] (memory rows first); out, dout [B, S, C]; lse
 * [B, NH, K] (rows < M are the memory rows' own, kept for the backward); u, v [NH, HS].
 * Gradients (`=`): dq [B, NH, S, HS]; dk, dv [B, NH, K, HS] (the memory rows' are for the caller to
 * drop: stop-gradient); dr [NH, D+1, HS], du, dvBias [NH, HS] summed over the batch in float64.
 *
 * How: each batch row runs the kernel over all K rows (memory rows query with q = 0, so every lse is
 * finite; their dout is 0, so they add nothing to any gradient) with a dense bias [NH, K, K]: the BD term,
 * built and differentiated by the SIMD kernels of relative-bd.ts (float32, float64 reference beside them;
 * O(B·NH·K²·HS) on the engine's threads). Memory O(NH·K²) per batch row for the bias — fine for training
 * segments and for evaluation segments with memory. dr, du, dv are summed over the batch rows in float64.
 *
 * Example: `relativeAttentionForward(e, out, lse, q, k, v, {B: 2, S: 8, M: 8, NH: 2, HS: 4}, {r, u, v: vb, maxDistance: 15})`.
 */
import type { Engine } from "../../engine.js";
import { ExtraposError } from "../../../pe/errors.js";
import { attentionBackward, attentionForward } from "./attention.js";
import { requireBuffer, requireInt } from "./checks.js";
import { relativeBdBackwardQuery, relativeBdBackwardR, relativeBdForward } from "./relative-bd.js";

export interface RelativeShape { B: number; S: number; M: number; NH: number; HS: number }

export interface RelativeParams {
  /** float32 [NH, maxDistance + 1, HS]: W_r·R per distance. */
  r: number;
  /** float32 [NH, HS]: r_w_bias (u) and r_r_bias (v). */
  u: number;
  v: number;
  /** Distances ≥ D use row D (clamp_len); K − 1 or more = no clamping. */
  maxDistance: number;
}

function check(engine: Engine, op: string, s: RelativeShape, p: RelativeParams): void {
  for (const [n, x] of [["B", s.B], ["S", s.S], ["NH", s.NH], ["HS", s.HS]] as const) requireInt(op, n, x, 1);
  requireInt(op, "M", s.M, 0);
  requireInt(op, "maxDistance", p.maxDistance, 0);
  requireBuffer(engine, op, "r", p.r, s.NH * (p.maxDistance + 1) * s.HS);
  requireBuffer(engine, op, "u", p.u, s.NH * s.HS);
  requireBuffer(engine, op, "v", p.v, s.NH * s.HS);
}

interface Scratch { qk: number; bias: number; outK: number; doutK: number }

function withRowScratch<T>(engine: Engine, s: RelativeShape, backward: boolean, run: (x: Scratch) => T): T {
  const K = s.M + s.S, C = s.NH * s.HS, mark = engine.mark();
  try {
    const x = {
      qk: engine.alloc(4 * s.NH * K * s.HS), bias: engine.alloc(4 * s.NH * K * K),
      outK: engine.alloc(4 * K * C), doutK: backward ? engine.alloc(4 * K * C) : 0,
    };
    return run(x);
  } finally {
    engine.reset(mark);
  }
}

/** Copies batch row b's queries into the K-row buffer: zeros on memory rows, q + add (u or 0) after. */
function fillQueries(engine: Engine, x: Scratch, q: number, add: Float32Array | null, b: number, s: RelativeShape): Float32Array {
  const K = s.M + s.S, { NH, HS, S, M } = s;
  const qk = engine.f32(x.qk, NH * K * HS), qv = engine.f32(q + 4 * b * NH * S * HS, NH * S * HS);
  qk.fill(0);
  for (let h = 0; h < NH; h++) for (let i = 0; i < S; i++) for (let c = 0; c < HS; c++) {
    qk[(h * K + M + i) * HS + c] = qv[(h * S + i) * HS + c]! + (add ? add[h * HS + c]! : 0);
  }
  return qk;
}

/** out [B, S, C] and lse [B, NH, K] (`=`) ← q [B, NH, S, HS], k, v [B, NH, K, HS]. */
export function relativeAttentionForward(engine: Engine, out: number, lse: number, q: number, k: number, v: number, s: RelativeShape, p: RelativeParams): void {
  const op = "relativeAttentionForward";
  check(engine, op, s, p);
  const { B, S, M, NH, HS } = s, K = M + S, C = NH * HS, scale = 1 / Math.sqrt(HS);
  requireBuffer(engine, op, "q", q, B * NH * S * HS);
  for (const [n, ptr] of [["k", k], ["v", v]] as const) requireBuffer(engine, op, n, ptr, B * NH * K * HS);
  requireBuffer(engine, op, "out", out, B * S * C);
  requireBuffer(engine, op, "lse", lse, B * NH * K);
  withRowScratch(engine, s, false, (x) => {
    for (let b = 0; b < B; b++) {
      fillQueries(engine, x, q, null, b, s);
      relativeBdForward(engine, x.bias, x.qk, p.r, p.v, { K, M, NH, HS, D: p.maxDistance }, scale);
      fillQueries(engine, x, q, engine.f32(p.u, NH * HS), b, s);
      const off = 4 * b * NH * K * HS;
      attentionForward(engine, x.outK, lse + 4 * b * NH * K, x.qk, k + off, v + off, { B: 1, T: K, NH, HS }, { bias: { kind: "dense", bias: x.bias } });
      engine.f32(out + 4 * b * S * C, S * C).set(engine.f32(x.outK + 4 * M * C, S * C));
    }
  });
}

export interface RelativeGrads { dq: number; dk: number; dv: number; dr: number; du: number; dvBias: number }

/** Gradients (see the header) ← dout [B, S, C], out, lse and the forward's inputs. */
export function relativeAttentionBackward(engine: Engine, g: RelativeGrads, dout: number, out: number, lse: number,
  q: number, k: number, v: number, s: RelativeShape, p: RelativeParams): void {
  const op = "relativeAttentionBackward";
  check(engine, op, s, p);
  const { B, S, M, NH, HS } = s, K = M + S, C = NH * HS, D = p.maxDistance, scale = 1 / Math.sqrt(HS);
  requireBuffer(engine, op, "dq", g.dq, B * NH * S * HS);
  for (const [n, ptr] of [["dk", g.dk], ["dv", g.dv]] as const) requireBuffer(engine, op, n, ptr, B * NH * K * HS);
  requireBuffer(engine, op, "dr", g.dr, NH * (D + 1) * HS);
  for (const [n, ptr] of [["du", g.du], ["dvBias", g.dvBias]] as const) requireBuffer(engine, op, n, ptr, NH * HS);
  const dr = new Float64Array(NH * (D + 1) * HS), du = new Float64Array(NH * HS), dvb = new Float64Array(NH * HS);
  withRowScratch(engine, s, true, (x) => {
    const mark = engine.mark(), bd = { K, M, NH, HS, D };
    const dqK = engine.alloc(4 * NH * K * HS), dBias = engine.alloc(4 * NH * K * K), accK = engine.alloc(4 * NH * K * HS), drB = engine.alloc(4 * NH * (D + 1) * HS);
    for (let b = 0; b < B; b++) {
      const off = 4 * b * NH * K * HS;
      fillQueries(engine, x, q, null, b, s);
      relativeBdForward(engine, x.bias, x.qk, p.r, p.v, bd, scale);
      fillQueries(engine, x, q, engine.f32(p.u, NH * HS), b, s);
      for (const [dst, src] of [[x.outK, out], [x.doutK, dout]] as const) {
        const t = engine.f32(dst, K * C);
        t.fill(0, 0, M * C);
        t.set(engine.f32(src + 4 * b * S * C, S * C), M * C);
      }
      attentionBackward(engine, dqK, g.dk + off, g.dv + off, dBias, x.doutK, x.outK, lse + 4 * b * NH * K, x.qk, k + off, v + off,
        { B: 1, T: K, NH, HS }, { bias: { kind: "dense", bias: x.bias } });
      // the BD term's gradients on the SIMD kernels (relative-bd.ts): acc = its part of dq, drB = this row's dr
      fillQueries(engine, x, q, null, b, s);
      relativeBdBackwardQuery(engine, accK, dBias, p.r, bd, scale);
      relativeBdBackwardR(engine, drB, dBias, x.qk, p.v, bd, scale);
      const dqk = engine.f32(dqK, NH * K * HS), acc = engine.f32(accK, NH * K * HS), drb = engine.f32(drB, NH * (D + 1) * HS);
      const dq = engine.f32(g.dq + 4 * b * NH * S * HS, NH * S * HS);
      for (let i = 0; i < drb.length; i++) dr[i]! += drb[i]!;
      for (let h = 0; h < NH; h++) for (let i = 0; i < S; i++) for (let c = 0; c < HS; c++) {
        const row = (h * K + M + i) * HS + c, a = dqk[row]!, bdq = acc[row]!;
        du[h * HS + c]! += a;
        dvb[h * HS + c]! += bdq;
        dq[(h * S + i) * HS + c] = a + bdq;
      }
    }
    engine.reset(mark);
  });
  engine.f32(g.dr, dr.length).set(dr);
  engine.f32(g.du, du.length).set(du);
  engine.f32(g.dvBias, dvb.length).set(dvb);
  for (const a of [dr, du, dvb]) for (const z of a) if (!Number.isFinite(z)) throw new ExtraposError("non_finite", `${op}: non-finite gradient`, "q, k, v, r or dout hold NaN or Inf");
}
