/**
 * Float64 reference of attentionForward / attentionBackward: the naive algorithm (materialise the
 * scores of one (b, h), softmax, weighted sum), same layouts and conventions as attention.ts.
 */
export interface RefAttentionShape {
  B: number;
  T: number;
  NH: number;
  HS: number;
}

export type RefBias =
  | { kind: "none" }
  /** table [NH, maxDistance + 1]: bias(h, i, j) = table[h][min(pos_i − pos_j, maxDistance)] */
  | { kind: "toeplitz"; table: ArrayLike<number>; maxDistance: number }
  /** bias [NH, q1 − q0, q1] for the queries [q0, q1) */
  | { kind: "dense"; bias: ArrayLike<number> };

export interface RefAttentionOptions {
  bias: RefBias;
  /** 0: full causal; W > 0: key j allowed for query i iff i − W < j ≤ i (span (W − 1)·d + 1 with dilation d) */
  window: number;
  /** Per-head dilation [NH] (null/absent: 1): head h keeps the keys with (i − j) mod d_h = 0 */
  dilation?: ArrayLike<number> | null;
  /** Keys j < G visible to every query i ≥ j (with W > 0); absent: 0 */
  globalTokens?: number;
  /** [B·T] position ids (or null → t), used by the Toeplitz bias */
  positions: ArrayLike<number> | null;
  scale: number;
  q0: number;
  q1: number;
}

/**
 * Whether key j is visible from query i: causal; inside a window of W keys spaced d apart
 * (i, i − d, …, i − (W − 1)·d; W = 0: all of them); or one of the first G (global) keys.
 */
export function allowedRef(i: number, j: number, window: number, dilation = 1, globalTokens = 0): boolean {
  if (j > i) return false;
  if (window > 0 && j < globalTokens) return true;
  if ((i - j) % dilation !== 0) return false;
  return window === 0 || i - j < window * dilation - dilation + 1;
}

/** Logit of (b, h, i, j) before the softmax: scale·q_i·k_j + bias. */
function logit(
  q: ArrayLike<number>, k: ArrayLike<number>, s: RefAttentionShape, o: RefAttentionOptions,
  b: number, h: number, i: number, j: number,
): number {
  const { T, HS } = s;
  const base = (b * s.NH + h) * T;
  let dot = 0;
  for (let d = 0; d < HS; d++) dot += q[(base + i) * HS + d]! * k[(base + j) * HS + d]!;
  let x = o.scale * dot;
  if (o.bias.kind === "toeplitz") {
    const dist = o.positions ? o.positions[b * T + i]! - o.positions[b * T + j]! : i - j;
    x += o.bias.table[h * (o.bias.maxDistance + 1) + Math.min(dist, o.bias.maxDistance)]!;
  } else if (o.bias.kind === "dense") {
    x += o.bias.bias[(h * (o.q1 - o.q0) + i - o.q0) * o.q1 + j]!;
  }
  return x;
}

/** Softmax probabilities of row i over keys 0..i (zeros where masked), and the row's logsumexp. */
function rowProbs(
  q: ArrayLike<number>, k: ArrayLike<number>, s: RefAttentionShape, o: RefAttentionOptions, b: number, h: number, i: number,
): { p: Float64Array; lse: number } {
  const x = new Float64Array(i + 1).fill(-Infinity);
  let m = -Infinity;
  const d = o.dilation ? o.dilation[h]! : 1;
  for (let j = 0; j <= i; j++) if (allowedRef(i, j, o.window, d, o.globalTokens ?? 0)) { x[j] = logit(q, k, s, o, b, h, i, j); m = Math.max(m, x[j]!); }
  let sum = 0;
  for (let j = 0; j <= i; j++) sum += Math.exp(x[j]! - m);
  const p = x.map((v) => Math.exp(v - m) / sum);
  return { p, lse: m + Math.log(sum) };
}

/** out [B, T, C] (rows q0..q1−1 filled, others 0) and lse [B, NH, T] (NaN outside the range). */
export function attentionForwardRef(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, s: RefAttentionShape, o: RefAttentionOptions,
): { out: Float64Array; lse: Float64Array } {
  const { B, T, NH, HS } = s;
  const C = NH * HS;
  const out = new Float64Array(B * T * C), lse = new Float64Array(B * NH * T).fill(NaN);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = o.q0; i < o.q1; i++) {
    const r = rowProbs(q, k, s, o, b, h, i);
    lse[(b * NH + h) * T + i] = r.lse;
    for (let j = 0; j <= i; j++) {
      for (let d = 0; d < HS; d++) out[(b * T + i) * C + h * HS + d]! += r.p[j]! * v[((b * NH + h) * T + j) * HS + d]!;
    }
  }
  return { out, lse };
}

/**
 * Gradients for the full range (q0 = 0, q1 = T): dq, dk, dv [B, NH, T, HS]; dBias is dTable
 * [B, NH, maxDistance + 1] (Toeplitz) or [B, NH, T, T] (dense), per (b, h), not reduced over B.
 */
export function attentionBackwardRef(
  dout: ArrayLike<number>, q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>,
  s: RefAttentionShape, o: RefAttentionOptions,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array; dBias: Float64Array } {
  const { B, T, NH, HS } = s;
  const C = NH * HS;
  const dq = new Float64Array(B * NH * T * HS), dk = new Float64Array(dq.length), dv = new Float64Array(dq.length);
  const perBH = o.bias.kind === "toeplitz" ? o.bias.maxDistance + 1 : o.bias.kind === "dense" ? T * T : 0;
  const dBias = new Float64Array(B * NH * perBH);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) {
    const base = (b * NH + h) * T;
    for (let i = 0; i < T; i++) {
      const { p } = rowProbs(q, k, s, o, b, h, i);
      const go = (d: number) => dout[(b * T + i) * C + h * HS + d]!;
      const dp = new Float64Array(i + 1);
      let sumPdp = 0;
      for (let j = 0; j <= i; j++) {
        for (let d = 0; d < HS; d++) dp[j]! += go(d) * v[(base + j) * HS + d]!;
        sumPdp += p[j]! * dp[j]!;
      }
      for (let j = 0; j <= i; j++) {
        const ds = p[j]! * (dp[j]! - sumPdp);
        for (let d = 0; d < HS; d++) {
          dv[(base + j) * HS + d]! += p[j]! * go(d);
          dq[(base + i) * HS + d]! += o.scale * ds * k[(base + j) * HS + d]!;
          dk[(base + j) * HS + d]! += o.scale * ds * q[(base + i) * HS + d]!;
        }
        if (o.bias.kind === "toeplitz") {
          const dist = o.positions ? o.positions[b * T + i]! - o.positions[b * T + j]! : i - j;
          dBias[(b * NH + h) * perBH + Math.min(dist, o.bias.maxDistance)]! += ds;
        } else if (o.bias.kind === "dense") {
          dBias[(b * NH + h) * perBH + i * T + j] = ds;
        }
      }
    }
  }
  return { dq, dk, dv, dBias };
}
