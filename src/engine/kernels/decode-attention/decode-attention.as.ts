// decodeAttention: attention of the newest query rows of each sequence over its KV cache (incremental
// decoding). One parameter block in memory (layout: the PARAM_* word offsets below, written by
// decode-attention.ts) instead of positional arguments; parallel dimension bh = b·NH + h in
// [start, end) (head-major, bh = (u mod B)·NH + u / B, with a shared prefix). A (b, h) writes only its
// own output columns and its own scratch slot. Shared prefix P > 0: keys j < P of every sequence are
// read from sequence 0's slabs (batch generation from one prompt: its keys and values stored once).
// Per query row r of sequence b (its slot s = lens[b] − nq + r, position qpos = pos[b, s]), keys
// j = 0…s:  logit_j = scale·q·k_j + bias(h, qpos, pos[b, j])  (−∞ where qpos − pos[b, j] ≥ window > 0)
//           out = Σ_j softmax(logit)_j · v_j
// CoPE (bias mode 3) replaces the bias by the contextual position term (cope.ts conventions).
// Conventions, layouts and the summation order are documented in decode-attention.ts; the loops of
// 32-channel heads (and two queries at once over a shared prefix) are in decode-attention32.as.ts.

import { expShiftSum, sigmoidf1 } from "../mathf4/mathf4.as";
import { expShiftSum32, madd, reduce4, scores32, scores32x2, softmaxSum32, unpackMax, weightedSum32, weightedSum32x2 } from "./decode-attention32.as";

// @ts-ignore: decorator
@inline const PARAM_OUT = 0;
// @ts-ignore: decorator
@inline const PARAM_OUT_STRIDE = 1;
// @ts-ignore: decorator
@inline const PARAM_Q = 2;
// @ts-ignore: decorator
@inline const PARAM_Q_STRIDE = 3;
// @ts-ignore: decorator
@inline const PARAM_K = 4;
// @ts-ignore: decorator
@inline const PARAM_V = 5;
// @ts-ignore: decorator
@inline const PARAM_LENS = 6;
// @ts-ignore: decorator
@inline const PARAM_POS = 7;
// @ts-ignore: decorator
@inline const PARAM_SLOTS = 8;
// @ts-ignore: decorator
@inline const PARAM_NH = 9;
// @ts-ignore: decorator
@inline const PARAM_HS = 10;
// @ts-ignore: decorator
@inline const PARAM_NQ = 11;
// @ts-ignore: decorator
@inline const PARAM_SCALE = 12;
// @ts-ignore: decorator
@inline const PARAM_BIAS_MODE = 13;
// @ts-ignore: decorator
@inline const PARAM_BIAS = 14;
// @ts-ignore: decorator
@inline const PARAM_BIAS_ARG = 15;
// @ts-ignore: decorator
@inline const PARAM_WINDOW = 16;
// @ts-ignore: decorator
@inline const PARAM_SCRATCH = 17;
// @ts-ignore: decorator
@inline const PARAM_SCRATCH_STRIDE = 18;
// @ts-ignore: decorator
@inline const PARAM_CONTIGUOUS = 19;
// @ts-ignore: decorator
@inline const PARAM_DILATION = 20;
// @ts-ignore: decorator
@inline const PARAM_GLOBAL = 21;
// @ts-ignore: decorator
@inline const PARAM_SHARED = 22;
// @ts-ignore: decorator
@inline const PARAM_B = 23;

// @ts-ignore: decorator
@inline const BIAS_TOEPLITZ = 1;
// @ts-ignore: decorator
@inline const BIAS_DENSE = 2;
// @ts-ignore: decorator
@inline const BIAS_COPE = 3;

// @ts-ignore: decorator
@inline
function word(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline
function dot(x: usize, y: usize, n: i32): f32 {
  let a = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) a = madd(v128.load(x + (<usize>d << 2)), v128.load(y + (<usize>d << 2)), a);
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
  for (; d < n; d++) r += load<f32>(x + (<usize>d << 2)) * load<f32>(y + (<usize>d << 2));
  return r;
}

// The 4 dot products q·k_j … q·k_{j+3} (keys `stride` bytes apart) as one vector, in `dot`'s order.
// @ts-ignore: decorator
@inline
function dot4(q: usize, k0: usize, stride: usize, n: i32): v128 {
  const k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2;
    const qv = v128.load(q + o);
    a0 = madd(qv, v128.load(k0 + o), a0);
    a1 = madd(qv, v128.load(k1 + o), a1);
    a2 = madd(qv, v128.load(k2 + o), a2);
    a3 = madd(qv, v128.load(k3 + o), a3);
  }
  let r = reduce4(a0, a1, a2, a3);
  for (; d < n; d++) {
    const o = <usize>d << 2;
    const x = load<f32>(q + o);
    r = f32x4.add(r, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(x * load<f32>(k0 + o)), 1, x * load<f32>(k1 + o)), 2, x * load<f32>(k2 + o)), 3, x * load<f32>(k3 + o)));
  }
  return r;
}

// @ts-ignore: decorator
@inline
function init(p: usize, acc: bool): v128 {
  return acc ? v128.load(p) : f32x4.splat(0);
}

// s[j] = scale·q·k_j for j in [0, n) (keys `hsBytes` apart from k): 4 keys at a time, then one by one.
// @ts-ignore: decorator
@inline
function scores(s: usize, qp: usize, k: usize, n: i32, HS: i32, hsBytes: usize, scale: f32): void {
  const sv = f32x4.splat(scale);
  let j0 = 0;
  for (; j0 + 4 <= n; j0 += 4) v128.store(s + (<usize>j0 << 2), f32x4.mul(sv, dot4(qp, k + <usize>j0 * hsBytes, hsBytes, HS)));
  for (; j0 < n; j0++) store<f32>(s + (<usize>j0 << 2), scale * dot(qp, k + <usize>j0 * hsBytes, HS));
}

// o[0..HS) = Σ_{j<n} e_j·v_j (v rows `hsBytes` apart): 32/16/4 channels at a time in registers, keys inner;
// with `acc`, the sums continue from o's values (the same chain as one call over both key ranges).
// @ts-ignore: decorator
@inline
function weightedSum(o: usize, e: usize, v: usize, n: i32, HS: i32, hsBytes: usize, acc: bool): void {
  let c = 0;
  for (; c + 32 <= HS; c += 32) {
    const off = <usize>c << 2;
    let a0 = init(o + off, acc), a1 = init(o + off + 16, acc), a2 = init(o + off + 32, acc), a3 = init(o + off + 48, acc);
    let a4 = init(o + off + 64, acc), a5 = init(o + off + 80, acc), a6 = init(o + off + 96, acc), a7 = init(o + off + 112, acc);
    for (let j = 0; j < n; j++) {
      const w = f32x4.splat(load<f32>(e + (<usize>j << 2)));
      const vj = v + <usize>j * hsBytes + off;
      a0 = madd(w, v128.load(vj), a0);
      a1 = madd(w, v128.load(vj + 16), a1);
      a2 = madd(w, v128.load(vj + 32), a2);
      a3 = madd(w, v128.load(vj + 48), a3);
      a4 = madd(w, v128.load(vj + 64), a4);
      a5 = madd(w, v128.load(vj + 80), a5);
      a6 = madd(w, v128.load(vj + 96), a6);
      a7 = madd(w, v128.load(vj + 112), a7);
    }
    v128.store(o + off, a0);
    v128.store(o + off + 16, a1);
    v128.store(o + off + 32, a2);
    v128.store(o + off + 48, a3);
    v128.store(o + off + 64, a4);
    v128.store(o + off + 80, a5);
    v128.store(o + off + 96, a6);
    v128.store(o + off + 112, a7);
  }
  for (; c + 16 <= HS; c += 16) {
    const off = <usize>c << 2;
    let a0 = init(o + off, acc), a1 = init(o + off + 16, acc), a2 = init(o + off + 32, acc), a3 = init(o + off + 48, acc);
    for (let j = 0; j < n; j++) {
      const w = f32x4.splat(load<f32>(e + (<usize>j << 2)));
      const vj = v + <usize>j * hsBytes + off;
      a0 = madd(w, v128.load(vj), a0);
      a1 = madd(w, v128.load(vj + 16), a1);
      a2 = madd(w, v128.load(vj + 32), a2);
      a3 = madd(w, v128.load(vj + 48), a3);
    }
    v128.store(o + off, a0);
    v128.store(o + off + 16, a1);
    v128.store(o + off + 32, a2);
    v128.store(o + off + 48, a3);
  }
  for (; c + 4 <= HS; c += 4) {
    const off = <usize>c << 2;
    let a = init(o + off, acc);
    for (let j = 0; j < n; j++) a = madd(f32x4.splat(load<f32>(e + (<usize>j << 2))), v128.load(v + <usize>j * hsBytes + off), a);
    v128.store(o + off, a);
  }
  for (; c < HS; c++) {
    const off = <usize>c << 2;
    let a: f32 = acc ? load<f32>(o + off) : 0;
    for (let j = 0; j < n; j++) a += load<f32>(e + (<usize>j << 2)) * load<f32>(v + <usize>j * hsBytes + off);
    store<f32>(o + off, a);
  }
}

// The scores s[0..n) of query row r of (b, h) (keys first…first+n−1) → logits, in place: the bias
// added (mode), invisible keys masked; returns their max. s0 = the (b, h)'s scratch slot (CoPE's
// q·e[c] after the logits' slots).
// @ts-ignore: decorator
@inline
function logits(p: usize, s: usize, s0: usize, qp: usize, h: i32, r: i32, slot: i32, first: i32, n: i32, qpos: i32, posRow: usize, dil: i32, skip: bool): f32 {
  const mode = word(p, PARAM_BIAS_MODE), bias = <usize>word(p, PARAM_BIAS), biasArg = word(p, PARAM_BIAS_ARG);
  const window = word(p, PARAM_WINDOW), contiguous = word(p, PARAM_CONTIGUOUS) != 0, G = word(p, PARAM_GLOBAL);
  const nq = word(p, PARAM_NQ), S = word(p, PARAM_SLOTS), HS = word(p, PARAM_HS), hsBytes = <usize>HS << 2;
  if (mode == BIAS_TOEPLITZ) {
    const D = biasArg, row = bias + ((<usize>h * <usize>(D + 1)) << 2);
    if (contiguous) {
      // key first + j is at distance d = slot − first − j: table entries read backwards, 4 at a time
      const top = slot - first;
      let j = 0;
      for (; j + 4 <= n && top - j <= D; j += 4) {
        const t = v128.load(row + (<usize>(top - j - 3) << 2));
        const o = s + (<usize>j << 2);
        v128.store(o, f32x4.add(v128.load(o), v128.shuffle<f32>(t, t, 3, 2, 1, 0)));
      }
      for (; j < n; j++) {
        const o = s + (<usize>j << 2);
        store<f32>(o, load<f32>(o) + load<f32>(row + (<usize>min(top - j, D) << 2)));
      }
    } else {
      for (let j = 0; j < n; j++) {
        const d = min(qpos - load<i32>(posRow + (<usize>j << 2)), D);
        store<f32>(s + (<usize>j << 2), load<f32>(s + (<usize>j << 2)) + load<f32>(row + (<usize>d << 2)));
      }
    }
  } else if (mode == BIAS_DENSE) {
    const row = bias + ((<usize>(h * nq + r) * <usize>biasArg + <usize>first) << 2);
    for (let j = 0; j < n; j++) store<f32>(s + (<usize>j << 2), load<f32>(s + (<usize>j << 2)) + load<f32>(row + (<usize>j << 2)));
  } else if (mode == BIAS_COPE) {
    // z[c] = q·e[c] (unscaled q), after the logits' slots; gates from the newest key back (no window: first = 0)
    const P = biasArg, z = s0 + ((<usize>S) << 2);
    for (let c = 0; c < P; c++) store<f32>(z + (<usize>c << 2), dot(qp, bias + <usize>c * hsBytes, HS));
    let acc: f32 = 0;
    const top = <f32>(P - 1);
    for (let j = n - 1; j >= 0; j--) {
      const sj = load<f32>(s + (<usize>j << 2));
      acc += sigmoidf1(sj);
      const pc = min(acc, top), fl = Mathf.floor(pc), w = pc - fl;
      const lo = load<f32>(z + (<usize>(<i32>fl) << 2)), hi = load<f32>(z + (<usize>(<i32>Mathf.ceil(pc)) << 2));
      store<f32>(s + (<usize>j << 2), sj + lo * (1 - w) + hi * w);
    }
  }
  if (!skip && (window > 0 || dil > 1)) {
    // visible: kpos < G (with a window), or within (W − 1)·d (W > 0) at a multiple of d
    const reach = window > 0 ? (window - 1) * dil : i32.MAX_VALUE;
    for (let j = 0; j < n; j++) {
      const kpos = load<i32>(posRow + (<usize>j << 2)), dist = qpos - kpos;
      const visible = (window > 0 && kpos < G) || (dist <= reach && dist % dil == 0);
      if (!visible) store<f32>(s + (<usize>j << 2), -Infinity);
    }
  }
  // max (pmax: one instruction; the softmax's e_j = exp(logit_j − max) and z = Σ e_j are the caller's)
  let mx = f32x4.splat(-Infinity);
  let jm = 0;
  for (; jm + 4 <= n; jm += 4) mx = f32x4.pmax(mx, v128.load(s + (<usize>jm << 2)));
  let m: f32 = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  for (; jm < n; jm++) m = max(m, load<f32>(s + (<usize>jm << 2)));
  return m;
}

// o[0..HS) *= 1/z.
// @ts-ignore: decorator
@inline
function normalize(o: usize, z: f32, HS: i32): void {
  const inv = f32x4.splat(<f32>1 / z);
  let c = 0;
  for (; c + 4 <= HS; c += 4) v128.store(o + (<usize>c << 2), f32x4.mul(v128.load(o + (<usize>c << 2)), inv));
  for (; c < HS; c++) store<f32>(o + (<usize>c << 2), load<f32>(o + (<usize>c << 2)) * f32x4.extract_lane(inv, 0));
}

export function decodeAttention(p: usize, start: i32, end: i32): void {
  const out = <usize>word(p, PARAM_OUT), outStride = word(p, PARAM_OUT_STRIDE);
  const q = <usize>word(p, PARAM_Q), qStride = word(p, PARAM_Q_STRIDE);
  const K = <usize>word(p, PARAM_K), V = <usize>word(p, PARAM_V);
  const lens = <usize>word(p, PARAM_LENS), pos = <usize>word(p, PARAM_POS), S = word(p, PARAM_SLOTS);
  const NH = word(p, PARAM_NH), HS = word(p, PARAM_HS), nq = word(p, PARAM_NQ);
  const scale = load<f32>(p + (<usize>PARAM_SCALE << 2));
  const window = word(p, PARAM_WINDOW), contiguous = word(p, PARAM_CONTIGUOUS) != 0;
  const dilations = <usize>word(p, PARAM_DILATION), G = word(p, PARAM_GLOBAL);
  const scratch = <usize>word(p, PARAM_SCRATCH), scratchStride = word(p, PARAM_SCRATCH_STRIDE);
  const P = word(p, PARAM_SHARED), Bn = word(p, PARAM_B);
  const hsBytes = <usize>HS << 2;
  let u = start;
  while (u < end) {
    // with a shared prefix, units run head-major (h = u / B): the B queries of a head read the same
    // prefix keys and values one after the other, while they are still in the core's cache
    const b = P > 0 ? u % Bn : u / NH, h = P > 0 ? u / Bn : u % NH, bh = b * NH + h;
    const len = load<i32>(lens + (<usize>b << 2));
    const posRow = pos + ((<usize>b * <usize>S) << 2);
    const s0 = scratch + ((<usize>bh * <usize>scratchStride) << 2);
    const dil = dilations == 0 ? 1 : load<i32>(dilations + (<usize>h << 2));
    // contiguous positions (pos[b, j] = j), no global tokens, no dilation: the keys outside the window
    // are skipped; otherwise every key is scored and the invisible ones masked
    const skip = contiguous && G == 0 && dil == 1;
    if (HS == 32 && P > 0 && nq == 1 && !(skip && window > 0) && u + 1 < end && (u + 1) / Bn == h) {
      // two queries of head h (sequences b and c = b + 1) over the shared prefix at once: each prefix
      // key and value row loaded once for both (every key of both queries visible-or-masked: first = 0)
      const c = b + 1, ch = c * NH + h, lenC = load<i32>(lens + (<usize>c << 2));
      const posC = pos + ((<usize>c * <usize>S) << 2), sC = scratch + ((<usize>ch * <usize>scratchStride) << 2);
      const qB = q + ((<usize>b * <usize>qStride + (<usize>h << 5)) << 2), qC = q + ((<usize>c * <usize>qStride + (<usize>h << 5)) << 2);
      const shared = (<usize>h * <usize>S) << 7, ownB = (<usize>bh * <usize>S + <usize>P) << 7, ownC = (<usize>ch * <usize>S + <usize>P) << 7;
      // as in the single path below: the bias and the max taken with the scores where nothing is masked
      const D = word(p, PARAM_BIAS_ARG), mode = word(p, PARAM_BIAS_MODE), top = max(len, lenC) - 1;
      let mB: f32, mC: f32;
      if ((mode == 0 || (mode == BIAS_TOEPLITZ && contiguous && top <= D)) && (skip || (window == 0 && dil == 1))) {
        const row = mode == 0 ? 0 : <usize>word(p, PARAM_BIAS) + ((<usize>h * <usize>(D + 1)) << 2);
        const both = scores32x2(s0, sC, qB, qC, K + shared, P, scale, row, len - 1, lenC - 1);
        mB = max(unpackMax(both, 0), scores32(s0 + (<usize>P << 2), qB, K + ownB, len - P, scale, row, len - 1 - P));
        mC = max(unpackMax(both, 1), scores32(sC + (<usize>P << 2), qC, K + ownC, lenC - P, scale, row, lenC - 1 - P));
      } else {
        scores32x2(s0, sC, qB, qC, K + shared, P, scale, 0, 0, 0);
        scores32(s0 + (<usize>P << 2), qB, K + ownB, len - P, scale, 0, 0);
        scores32(sC + (<usize>P << 2), qC, K + ownC, lenC - P, scale, 0, 0);
        mB = logits(p, s0, s0, qB, h, 0, len - 1, 0, len, load<i32>(posRow + (<usize>(len - 1) << 2)), posRow, dil, skip);
        mC = logits(p, sC, sC, qC, h, 0, lenC - 1, 0, lenC, load<i32>(posC + (<usize>(lenC - 1) << 2)), posC, dil, skip);
      }
      const zB = expShiftSum32(s0, len, mB), zC = expShiftSum32(sC, lenC, mC);
      const oB = out + ((<usize>b * <usize>outStride + (<usize>h << 5)) << 2), oC = out + ((<usize>c * <usize>outStride + (<usize>h << 5)) << 2);
      weightedSum32x2(oB, oC, s0, sC, V + shared, P);
      weightedSum32(oB, s0 + (<usize>P << 2), V + ownB, len - P, true);
      weightedSum32(oC, sC + (<usize>P << 2), V + ownC, lenC - P, true);
      normalize(oB, zB, 32);
      normalize(oC, zC, 32);
      u += 2;
      continue;
    }
    for (let r = 0; r < nq; r++) {
      const slot = len - nq + r;
      const qp = q + ((<usize>(b * nq + r) * <usize>qStride + <usize>h * <usize>HS) << 2);
      const qpos = load<i32>(posRow + (<usize>slot << 2));
      const first = skip && window > 0 ? max(0, slot - window + 1) : 0;
      const n = slot + 1 - first;
      const s = s0 + (<usize>first << 2);
      // keys first…first+nS−1 are the shared prefix's (sequence 0's slab), the rest the sequence's own
      const nS = min(max(P - first, 0), n);
      const own = (<usize>(b * NH + h) * <usize>S + <usize>(first + nS)) * hsBytes, shared = (<usize>h * <usize>S + <usize>first) * hsBytes;
      let m: f32;
      // no bias or a Toeplitz one on contiguous slots (distance = slot − key) and no mask afterwards:
      // the 32-channel scores add the bias and take the max as they go (the same values as logits())
      const D = word(p, PARAM_BIAS_ARG), mode = word(p, PARAM_BIAS_MODE), top = slot - first;
      if (HS == 32 && (mode == 0 || (mode == BIAS_TOEPLITZ && contiguous && top <= D)) && (skip || (window == 0 && dil == 1))) {
        const row = mode == 0 ? 0 : <usize>word(p, PARAM_BIAS) + ((<usize>h * <usize>(D + 1)) << 2);
        m = max(scores32(s, qp, K + shared, nS, scale, row, top), scores32(s + (<usize>nS << 2), qp, K + own, n - nS, scale, row, top - nS));
      } else {
        if (HS == 32) {
          scores32(s, qp, K + shared, nS, scale, 0, 0);
          scores32(s + (<usize>nS << 2), qp, K + own, n - nS, scale, 0, 0);
        } else {
          scores(s, qp, K + shared, nS, HS, hsBytes, scale);
          scores(s + (<usize>nS << 2), qp, K + own, n - nS, HS, hsBytes, scale);
        }
        m = logits(p, s, s0, qp, h, r, slot, first, n, qpos, posRow, dil, skip);
      }
      const o = out + ((<usize>(b * nq + r) * <usize>outStride + <usize>h * <usize>HS) << 2);
      let z: f32;
      if (HS == 32) {
        // key j (of this range) at V + shared + j·HS floats (j < nS) or V + own + (j − nS)·HS
        z = softmaxSum32(o, s, V + shared, V + own - (<usize>nS << 7), nS, n, m);
      } else {
        z = expShiftSum(s, n, m);
        if (nS > 0) weightedSum(o, s, V + shared, nS, HS, hsBytes, false);
        weightedSum(o, s + (<usize>nS << 2), V + own, n - nS, HS, hsBytes, nS > 0);
      }
      normalize(o, z, HS);
    }
    u++;
  }
}
