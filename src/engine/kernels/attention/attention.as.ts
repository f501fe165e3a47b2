// attentionForward / attentionBackward: causal multi-head attention computed blockwise with an
// online softmax (flash-attention style): per (b, h) only a blockQ×blockK tile of scores exists.
// Conventions (shapes, bias modes, window, scratch, accumulate rule) are documented in attention.ts.
// Per (b, h): HS % 4 == 0 runs the register-tiled code of attention-tiled.as.ts; other head sizes
// run the row-at-a-time code below (the same math, one query row and 4 keys at a time).
// Parallel dimension: bh = b·NH + h in [start, end). A (b, h) writes only its own output rows /
// slabs and its own scratch slot, so disjoint ranges never write the same bytes.

import { expf1, expf4 } from "../mathf4/mathf4.as";
import { backwardHeadTiled, backwardSlotFloats, forwardHeadTiled, forwardSlotFloats } from "./attention-tiled.as";
import { AttentionCall, HEAD_STATE_FLOATS, HeadState } from "./attention-params.as";

export const BIAS_NONE = 0;
const BIAS_TOEPLITZ = 1;
const BIAS_DENSE = 2;

// ---- SIMD helpers ---------------------------------------------------------------------------------

@inline
export function hsum(a: v128): f32 {
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

// Four dot products x·y0 … x·y3 over n floats, as one v128 (lane c = x·yc).
@inline
function dot4(x: usize, y0: usize, y1: usize, y2: usize, y3: usize, n: i32): v128 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2;
    const xv = v128.load(x + o);
    a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(y0 + o)));
    a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(y1 + o)));
    a2 = f32x4.add(a2, f32x4.mul(xv, v128.load(y2 + o)));
    a3 = f32x4.add(a3, f32x4.mul(xv, v128.load(y3 + o)));
  }
  // transpose-reduce: lane c of the result = sum of the lanes of a_c
  const t01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const t23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  let r = f32x4.add(v128.shuffle<f32>(t01, t23, 0, 1, 4, 5), v128.shuffle<f32>(t01, t23, 2, 3, 6, 7));
  if (d < n) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (; d < n; d++) {
      const o = <usize>d << 2;
      const xs = load<f32>(x + o);
      s0 += xs * load<f32>(y0 + o); s1 += xs * load<f32>(y1 + o);
      s2 += xs * load<f32>(y2 + o); s3 += xs * load<f32>(y3 + o);
    }
    r = f32x4.add(r, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(s0), 1, s1), 2, s2), 3, s3));
  }
  return r;
}

@inline
export function dot(x: usize, y: usize, n: i32): f32 {
  let a = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) a = f32x4.add(a, f32x4.mul(v128.load(x + (<usize>d << 2)), v128.load(y + (<usize>d << 2))));
  let s = hsum(a);
  for (; d < n; d++) s += load<f32>(x + (<usize>d << 2)) * load<f32>(y + (<usize>d << 2));
  return s;
}

// y[0..n) += a·x[0..n)
@inline
export function axpy(y: usize, a: f32, x: usize, n: i32): void {
  const av = f32x4.splat(a);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; d < n; d++) store<f32>(y + (<usize>d << 2), load<f32>(y + (<usize>d << 2)) + a * load<f32>(x + (<usize>d << 2)));
}

@inline
export function scaleRow(y: usize, a: f32, n: i32): void {
  const av = f32x4.splat(a);
  let d = 0;
  for (; d + 4 <= n; d += 4) v128.store(y + (<usize>d << 2), f32x4.mul(av, v128.load(y + (<usize>d << 2))));
  for (; d < n; d++) store<f32>(y + (<usize>d << 2), a * load<f32>(y + (<usize>d << 2)));
}

@inline
export function zero(p: usize, n: i32): void {
  let d = 0;
  for (; d + 4 <= n; d += 4) v128.store(p + (<usize>d << 2), f32x4.splat(0));
  for (; d < n; d++) store<f32>(p + (<usize>d << 2), 0);
}

// ---- per-(b, h) state: a HeadState in the (b, h)'s scratch slot (attention-params.as.ts), passed
// explicitly to every helper below and to attention-tiled.as.ts (no module globals) -------------------

@inline
function distance(st: HeadState, i: i32, j: i32): i32 {
  const d = st.pos == 0 ? i - j : load<i32>(st.pos + (<usize>i << 2)) - load<i32>(st.pos + (<usize>j << 2));
  return min(max(d, 0), st.maxDist);
}

@inline
export function biasAt(st: HeadState, i: i32, j: i32): f32 {
  if (st.biasMode == BIAS_TOEPLITZ) return load<f32>(st.bias + (<usize>distance(st, i, j) << 2));
  return load<f32>(st.bias + (<usize>((i - st.denseRow0) * st.denseKeys + j) << 2));
}

@inline
export function firstKey(st: HeadState, i: i32): i32 {
  return st.window > 0 ? max(0, i - st.window + 1) : 0;
}

// Whether key j is visible from query i: causal, inside the (dilated) window, or a global token.
@inline
export function visible(st: HeadState, i: i32, j: i32): bool {
  return j <= i && (j < st.global || (j >= firstKey(st, i) && (st.dil == 1 || (i - j) % st.dil == 0)));
}

// First key column a row computes in the key block that starts at j0 (all of the block's global keys).
@inline
export function rowFirst(st: HeadState, i: i32, j0: i32): i32 {
  return j0 < st.global ? j0 : max(j0, firstKey(st, i));
}

// Key blocks of the query block whose window starts at s: first the global keys [0, min(G, s)) in
// blocks of BK, then [s, i1) in blocks of BK. keyBlockEnd gives j1 of the block at j0, nextKeyBlock
// the following j0. Without global tokens the loop is the plain one from s.
@inline
export function firstKeyBlock(st: HeadState, s: i32): i32 {
  return st.global > 0 ? 0 : s;
}

@inline
export function keyBlockEnd(st: HeadState, j0: i32, s: i32, i1: i32, BK: i32): i32 {
  const j1 = min(j0 + BK, i1);
  return j0 < s ? min(j1, min(st.global, s)) : j1;
}

@inline
export function nextKeyBlock(st: HeadState, j0: i32, j1: i32, s: i32): i32 {
  return j0 < s && j1 >= min(st.global, s) ? s : j1;
}

// S[r][c] (row stride BK) = scale·q_i·k_j + bias(i, j) for rows i0 ≤ i < i1 and the 4-aligned
// groups of keys j0 + c covering each row's visible keys in [j0, j1); −inf where masked.
// Returns nothing; the computed range of row i is [rowFirst(st, i, j0), min(j1, i + 1)), inside which
// keys that are not visible (dilation, the gap between global tokens and the window) are −inf.
function scores(st: HeadState, S: usize, BK: i32, qh: usize, kh: usize, HS: i32, scale: f32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const rowBytes = <usize>HS << 2;
  const sc = f32x4.splat(scale);
  const ninf = f32x4.splat(-Infinity);
  for (let i = i0; i < i1; i++) {
    const lo = rowFirst(st, i, j0), hi = min(j1, i + 1);
    if (lo >= hi) continue;
    const qrow = qh + <usize>i * rowBytes;
    const srow = S + (<usize>((i - i0) * BK) << 2);
    for (let c = (lo - j0) & ~3; j0 + c < hi; c += 4) {
      const j = j0 + c;
      const last = hi - 1;
      const k0 = kh + <usize>j * rowBytes;
      const k1 = kh + <usize>min(j + 1, last) * rowBytes;
      const k2 = kh + <usize>min(j + 2, last) * rowBytes;
      const k3 = kh + <usize>min(j + 3, last) * rowBytes;
      let s = f32x4.mul(dot4(qrow, k0, k1, k2, k3, HS), sc);
      const full = j >= lo && j + 4 <= hi;
      if (st.biasMode != BIAS_NONE) {
        let bv = f32x4.splat(0);
        bv = f32x4.replace_lane(bv, 0, j >= lo ? biasAt(st, i, j) : 0);
        bv = f32x4.replace_lane(bv, 1, j + 1 >= lo && j + 1 < hi ? biasAt(st, i, j + 1) : 0);
        bv = f32x4.replace_lane(bv, 2, j + 2 >= lo && j + 2 < hi ? biasAt(st, i, j + 2) : 0);
        bv = f32x4.replace_lane(bv, 3, j + 3 < hi ? biasAt(st, i, j + 3) : 0);
        s = f32x4.add(s, bv);
      }
      if (!full) {
        const jv = i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3));
        const ok = v128.and(i32x4.ge_s(jv, i32x4.splat(lo)), i32x4.lt_s(jv, i32x4.splat(hi)));
        s = v128.bitselect(s, ninf, ok);
      }
      if (st.extra) {
        const vis = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(visible(st, i, j) ? -1 : 0),
          1, visible(st, i, j + 1) ? -1 : 0), 2, visible(st, i, j + 2) ? -1 : 0), 3, visible(st, i, j + 3) ? -1 : 0);
        s = v128.bitselect(s, ninf, vis);
      }
      v128.store(srow + (<usize>c << 2), s);
    }
  }
}

// The state of (b, h) = bh for the queries [q0, q1), written into `st`.
function setBiasState(st: HeadState, bh: i32, c: AttentionCall, q0: i32, q1: i32): void {
  const NH = c.NH, b = bh / NH, h = bh % NH, biasMode = c.biasMode, maxDist = c.maxDist, window = c.window;
  st.biasMode = biasMode;
  st.maxDist = maxDist;
  const d = c.dilation == 0 ? 1 : load<i32>(c.dilation + (<usize>h << 2));
  st.dil = d;
  st.window = window > 0 ? (window - 1) * d + 1 : 0;
  st.global = window > 0 ? c.globalTokens : 0; // with full causal attention every key is visible anyway
  st.extra = d > 1 || st.global > 0;
  st.pos = c.posIds == 0 ? 0 : c.posIds + (<usize>(b * c.posBatchStride) << 2);
  st.denseRow0 = q0;
  st.denseKeys = q1;
  if (biasMode == BIAS_TOEPLITZ) st.bias = c.bias + (<usize>(h * (maxDist + 1)) << 2);
  else if (biasMode == BIAS_DENSE) st.bias = c.bias + ((<usize>h * <usize>(q1 - q0) * <usize>q1) << 2);
  else st.bias = 0;
}

// ---- forward --------------------------------------------------------------------------------------

// Scratch slot per (b, h): forwardSlotFloats (attention-tiled.as.ts); the row-at-a-time path below
// (HS not a multiple of 4) uses its first BQ·BK + 2·BQ floats: S [BQ·BK], rowMax [BQ], rowSum [BQ].
export function attentionForward(params: usize, start: i32, end: i32): void {
  const c = changetype<AttentionCall>(params);
  const out = c.out, lse = c.lse, q = c.q, k = c.k, v = c.v, scratch = c.scratch;
  const T = c.T, NH = c.NH, HS = c.HS, scale = c.scale, q0 = c.q0, q1 = c.q1, BQ = c.BQ, BK = c.BK;
  const C = NH * HS;
  const slotFloats = forwardSlotFloats(T, HS, BQ, BK) + HEAD_STATE_FLOATS, slot = <usize>slotFloats << 2;
  for (let bh = start; bh < end; bh++) {
    const st = changetype<HeadState>(scratch + <usize>bh * slot + (<usize>(slotFloats - HEAD_STATE_FLOATS) << 2));
    setBiasState(st, bh, c, q0, q1);
    const b = bh / NH, h = bh % NH;
    const off = (<usize>bh * <usize>T * <usize>HS) << 2;
    const qh = q + off, kh = k + off, vh = v + off;
    const S = scratch + <usize>bh * slot;
    const M = S + (<usize>(BQ * BK) << 2), L = M + (<usize>BQ << 2);
    const o0 = out + (<usize>(b * T * C + h * HS) << 2);
    const oStride = <usize>C << 2;
    if ((HS & 3) == 0) {
      forwardHeadTiled(st, o0, oStride, lse + (<usize>(bh * T) << 2), qh, kh, vh, S, HS, scale, q0, q1, BQ, BK);
      continue;
    }
    for (let i0 = q0; i0 < q1; i0 += BQ) {
      const i1 = min(i0 + BQ, q1);
      for (let i = i0; i < i1; i++) {
        store<f32>(M + (<usize>(i - i0) << 2), -Infinity);
        store<f32>(L + (<usize>(i - i0) << 2), 0);
        zero((o0 + <usize>i * oStride), HS);
      }
      const s = firstKey(st, i0);
      for (let j0 = firstKeyBlock(st, s); j0 < i1;) {
        const j1 = keyBlockEnd(st, j0, s, i1, BK);
        scores(st, S, BK, qh, kh, HS, scale, i0, i1, j0, j1);
        for (let i = i0; i < i1; i++) onlineRow(st, S + (<usize>((i - i0) * BK) << 2), M + (<usize>(i - i0) << 2), L + (<usize>(i - i0) << 2), (o0 + <usize>i * oStride), vh, HS, i, j0, j1);
        j0 = nextKeyBlock(st, j0, j1, s);
      }
      for (let i = i0; i < i1; i++) {
        const l = load<f32>(L + (<usize>(i - i0) << 2));
        scaleRow((o0 + <usize>i * oStride), 1 / l, HS);
        store<f32>(lse + (<usize>(bh * T + i) << 2), load<f32>(M + (<usize>(i - i0) << 2)) + Mathf.log(l));
      }
    }
  }
}

// One row's online-softmax update with the key block [j0, j1): running max m, sum l, accumulator o.
@inline
function onlineRow(st: HeadState, srow: usize, mp: usize, lp: usize, o: usize, vh: usize, HS: i32, i: i32, j0: i32, j1: i32): void {
  const lo = rowFirst(st, i, j0), hi = min(j1, i + 1);
  if (lo >= hi) return;
  const c0 = (lo - j0) & ~3, c1 = hi - j0;
  let mv = f32x4.splat(-Infinity);
  for (let c = c0; c < c1; c += 4) mv = f32x4.max(mv, v128.load(srow + (<usize>c << 2)));
  const blockMax = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  const mOld = load<f32>(mp);
  const m = max(mOld, blockMax);
  if (m == -Infinity) return; // nothing visible yet (dilation can mask a whole block of a row)
  let l = load<f32>(lp);
  if (m > mOld) {
    const alpha = expf1(mOld - m);
    l *= alpha;
    scaleRow(o, alpha, HS);
    store<f32>(mp, m);
  }
  const msplat = f32x4.splat(m);
  let lv = f32x4.splat(0);
  for (let c = c0; c < c1; c += 4) {
    const p = expf4(f32x4.sub(v128.load(srow + (<usize>c << 2)), msplat));
    v128.store(srow + (<usize>c << 2), p);
    lv = f32x4.add(lv, p);
  }
  // lanes past c1 in the last group hold exp(−inf) = 0 only if they were written as −inf: they were
  // (scores(st, ) masks every lane ≥ hi of a partial group), so the sum is exact.
  store<f32>(lp, l + hsum(lv));
  accumulate(o, 1, srow + (<usize>(lo - j0) << 2), 1, vh + <usize>lo * (<usize>HS << 2), HS, hi - lo, HS);
}

// o[0..HS) += a · Σ_{t < n} coef[t·coefStride] · rows[t·rowStride + 0..HS)   (strides in floats).
// Four terms at a time: their coefficients are splatted once and reused over all of HS.
@inline
export function accumulate(o: usize, a: f32, coef: usize, coefStride: i32, rows: usize, rowStride: i32, n: i32, HS: i32): void {
  const rb = <usize>rowStride << 2, cb = <usize>coefStride << 2;
  const hs4 = HS & ~3;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const c = coef + <usize>t * cb, r0 = rows + <usize>t * rb;
    const r1 = r0 + rb, r2 = r1 + rb, r3 = r2 + rb;
    const a0 = a * load<f32>(c), a1 = a * load<f32>(c + cb), a2 = a * load<f32>(c + 2 * cb), a3 = a * load<f32>(c + 3 * cb);
    const p0 = f32x4.splat(a0), p1 = f32x4.splat(a1), p2 = f32x4.splat(a2), p3 = f32x4.splat(a3);
    let d = 0;
    for (; d < hs4; d += 4) {
      const od = <usize>d << 2;
      const s01 = f32x4.add(f32x4.mul(p0, v128.load(r0 + od)), f32x4.mul(p1, v128.load(r1 + od)));
      const s23 = f32x4.add(f32x4.mul(p2, v128.load(r2 + od)), f32x4.mul(p3, v128.load(r3 + od)));
      v128.store(o + od, f32x4.add(v128.load(o + od), f32x4.add(s01, s23)));
    }
    for (; d < HS; d++) {
      const od = <usize>d << 2;
      store<f32>(o + od, load<f32>(o + od) + (a0 * load<f32>(r0 + od) + a1 * load<f32>(r1 + od)) + (a2 * load<f32>(r2 + od) + a3 * load<f32>(r3 + od)));
    }
  }
  for (; t < n; t++) {
    const r0 = rows + <usize>t * rb;
    const a0 = a * load<f32>(coef + <usize>t * cb);
    const p0 = f32x4.splat(a0);
    let d = 0;
    for (; d < hs4; d += 4) {
      const od = <usize>d << 2;
      v128.store(o + od, f32x4.add(v128.load(o + od), f32x4.mul(p0, v128.load(r0 + od))));
    }
    for (; d < HS; d++) store<f32>(o + (<usize>d << 2), load<f32>(o + (<usize>d << 2)) + a0 * load<f32>(r0 + (<usize>d << 2)));
  }
}

// ---- backward (flash-attention-2 style: recompute the scores tile by tile from the saved lse) -------

// Scratch slot per (b, h): backwardSlotFloats (attention-tiled.as.ts); the row-at-a-time path below
// (HS not a multiple of 4) uses its first 2·BQ·BK + BQ floats: P [BQ·BK], dS [BQ·BK], D [BQ].
export function attentionBackward(params: usize, start: i32, end: i32): void {
  const c = changetype<AttentionCall>(params);
  const dq = c.dq, dk = c.dk, dv = c.dv, dBias = c.dBias, dout = c.dout, out = c.out, lse = c.lse, q = c.q, k = c.k, v = c.v, scratch = c.scratch;
  const biasMode = c.biasMode, maxDist = c.maxDist, T = c.T, NH = c.NH, HS = c.HS, scale = c.scale, BQ = c.BQ, BK = c.BK;
  const C = NH * HS;
  const slotFloats = backwardSlotFloats(T, HS, BQ, BK) + HEAD_STATE_FLOATS, slot = <usize>slotFloats << 2;
  const hb = <usize>HS << 2, cb = <usize>C << 2;
  const biasSlab = biasMode == BIAS_TOEPLITZ ? maxDist + 1 : biasMode == BIAS_DENSE ? T * T : 0;
  for (let bh = start; bh < end; bh++) {
    const st = changetype<HeadState>(scratch + <usize>bh * slot + (<usize>(slotFloats - HEAD_STATE_FLOATS) << 2));
    setBiasState(st, bh, c, 0, T);
    const b = bh / NH, h = bh % NH;
    const off = (<usize>bh * <usize>T * <usize>HS) << 2;
    const qh = q + off, kh = k + off, vh = v + off, dqh = dq + off, dkh = dk + off, dvh = dv + off;
    zero(dqh, T * HS); zero(dkh, T * HS); zero(dvh, T * HS);
    const dB: usize = dBias == 0 ? <usize>0 : dBias + (<usize>bh * <usize>biasSlab << 2);
    if (dB != 0) zero(dB, biasSlab);
    const P = scratch + <usize>bh * slot;
    const dS = P + (<usize>(BQ * BK) << 2), D = dS + (<usize>(BQ * BK) << 2);
    const o0 = out + (<usize>(b * T * C + h * HS) << 2), g0 = dout + (<usize>(b * T * C + h * HS) << 2);
    const lseh = lse + (<usize>(bh * T) << 2);
    if ((HS & 3) == 0) {
      backwardHeadTiled(st, dqh, dkh, dvh, dB, g0, o0, cb, lseh, qh, kh, vh, P, T, HS, scale, BQ, BK);
      continue;
    }
    for (let i0 = 0; i0 < T; i0 += BQ) {
      const i1 = min(i0 + BQ, T);
      for (let i = i0; i < i1; i++) store<f32>(D + (<usize>(i - i0) << 2), dot(g0 + <usize>i * cb, o0 + <usize>i * cb, HS));
      const s = firstKey(st, i0);
      for (let j0 = firstKeyBlock(st, s); j0 < i1;) {
        const j1 = keyBlockEnd(st, j0, s, i1, BK);
        scores(st, P, BK, qh, kh, HS, scale, i0, i1, j0, j1);
        for (let i = i0; i < i1; i++) {
          const lo = rowFirst(st, i, j0), hi = min(j1, i + 1);
          if (lo >= hi) continue;
          const r = <usize>((i - i0) * BK) << 2;
          const gi = g0 + <usize>i * cb;
          const lseI = f32x4.splat(load<f32>(lseh + (<usize>i << 2)));
          const Dv = f32x4.splat(load<f32>(D + (<usize>(i - i0) << 2)));
          for (let c = (lo - j0) & ~3; j0 + c < hi; c += 4) {
            const j = j0 + c, last = hi - 1;
            const p = expf4(f32x4.sub(v128.load(P + r + (<usize>c << 2)), lseI));
            const dp = dot4(gi, vh + <usize>j * hb, vh + <usize>min(j + 1, last) * hb, vh + <usize>min(j + 2, last) * hb, vh + <usize>min(j + 3, last) * hb, HS);
            v128.store(P + r + (<usize>c << 2), p);
            v128.store(dS + r + (<usize>c << 2), f32x4.mul(p, f32x4.sub(dp, Dv)));
          }
          // dq_i += scale · Σ_j dS_ij k_j
          accumulate(dqh + <usize>i * hb, scale, dS + r + (<usize>(lo - j0) << 2), 1, kh + <usize>lo * hb, HS, hi - lo, HS);
          if (dB != 0) biasGrad(st, dB, dS + r, 4, i, lo, hi, j0, T);
        }
        for (let j = j0; j < j1; j++) {
          // rows of this query block that computed key j (rowFirst(st, i, j0) ≤ j < i + 1): max(i0, j) ≤ i <
          // min(i1, j + span), or every later row in a block of global keys (masked entries are 0)
          const r0 = max(i0, j), r1 = st.window > 0 && j0 >= st.global ? min(i1, j + st.window) : i1;
          if (r0 >= r1) continue;
          const cOff = <usize>((r0 - i0) * BK + (j - j0)) << 2;
          accumulate(dvh + <usize>j * hb, 1, P + cOff, BK, g0 + <usize>r0 * cb, C, r1 - r0, HS);
          accumulate(dkh + <usize>j * hb, scale, dS + cOff, BK, qh + <usize>r0 * hb, HS, r1 - r0, HS);
        }
        j0 = nextKeyBlock(st, j0, j1, s);
      }
    }
  }
}

// dTable[dist(i, j)] += dS_ij (Toeplitz) or dBias[i][j] = dS_ij (dense) for the keys [lo, hi) of row i;
// dS_ij at dSrow + (j − j0)·stride bytes.
@inline
export function biasGrad(st: HeadState, dB: usize, dSrow: usize, stride: usize, i: i32, lo: i32, hi: i32, j0: i32, T: i32): void {
  if (st.biasMode == BIAS_TOEPLITZ) {
    for (let j = lo; j < hi; j++) {
      const p = dB + (<usize>distance(st, i, j) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(dSrow + <usize>(j - j0) * stride));
    }
  } else {
    for (let j = lo; j < hi; j++) store<f32>(dB + (<usize>(i * T + j) << 2), load<f32>(dSrow + <usize>(j - j0) * stride));
  }
}
