// decodeRelativeAttention: Transformer-XL's relative attention (Dai et al. 2019) of the newest query
// rows of each sequence over its KV cache — incremental decoding. One parameter block in memory
// (the PARAM_* word offsets below, written by decode-relative.ts); parallel dimension u in
// [start, end) of B·NH: bh = b·NH + h, or head-major (b = u mod B, h = u / B) with a shared prefix.
// Per query row r of sequence b (slot s = lens[b] − nq + r, position qpos = pos[b, s]), keys j = 0…s
// at distance d_j = qpos − pos[b, j]:
//   logit_j = scale·((q + u)·k_j + (q + vb)·r[min(d_j, D)])   (−∞ where d_j < 0)
//   out = Σ_j softmax(logit)_j · v_j
// A (b, h) writes only its own output columns and its own scratch slot [logits (S, padded to 4) | q+u | q+vb].
// Conventions and layouts: decode-relative.ts.

import { expShiftSum } from "../mathf4/mathf4.as";

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
@inline const PARAM_R = 13;
// @ts-ignore: decorator
@inline const PARAM_U = 14;
// @ts-ignore: decorator
@inline const PARAM_VB = 15;
// @ts-ignore: decorator
@inline const PARAM_D = 16;
// @ts-ignore: decorator
@inline const PARAM_SCRATCH = 17;
// @ts-ignore: decorator
@inline const PARAM_SCRATCH_STRIDE = 18;
// @ts-ignore: decorator
@inline const PARAM_SHARED = 19;
// @ts-ignore: decorator
@inline const PARAM_B = 20;

// @ts-ignore: decorator
@inline
function word(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

// x·y over n floats: 4 lanes over channels mod 4, reduced (l0 + l2) + (l1 + l3), then the tail.
// @ts-ignore: decorator
@inline
function dot(x: usize, y: usize, n: i32): f32 {
  let a = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) a = f32x4.add(a, f32x4.mul(v128.load(x + (<usize>d << 2)), v128.load(y + (<usize>d << 2))));
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
  for (; d < n; d++) r += load<f32>(x + (<usize>d << 2)) * load<f32>(y + (<usize>d << 2));
  return r;
}

// Lane c of the result = the lanes of a_c reduced as (l0 + l2) + (l1 + l3) (the order of `dot`).
// @ts-ignore: decorator
@inline
function reduce4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const t01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const t23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t01, t23, 0, 1, 4, 5), v128.shuffle<f32>(t01, t23, 2, 3, 6, 7));
}

// Lane i = x·k_i + y·r_i (i = 0…3) in `dot`'s order per term, the two terms added: 4 keys per pass over x and y.
// @ts-ignore: decorator
@inline
function dot4x2(x: usize, y: usize, k0: usize, k1: usize, k2: usize, k3: usize, r0: usize, r1: usize, r2: usize, r3: usize, n: i32): v128 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = <usize>d << 2, xv = v128.load(x + o), yv = v128.load(y + o);
    a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(k0 + o)));
    a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(k1 + o)));
    a2 = f32x4.add(a2, f32x4.mul(xv, v128.load(k2 + o)));
    a3 = f32x4.add(a3, f32x4.mul(xv, v128.load(k3 + o)));
    b0 = f32x4.add(b0, f32x4.mul(yv, v128.load(r0 + o)));
    b1 = f32x4.add(b1, f32x4.mul(yv, v128.load(r1 + o)));
    b2 = f32x4.add(b2, f32x4.mul(yv, v128.load(r2 + o)));
    b3 = f32x4.add(b3, f32x4.mul(yv, v128.load(r3 + o)));
  }
  let ac = reduce4(a0, a1, a2, a3), bd = reduce4(b0, b1, b2, b3);
  for (; d < n; d++) {
    const o = <usize>d << 2, xs = load<f32>(x + o), ys = load<f32>(y + o);
    ac = f32x4.add(ac, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(xs * load<f32>(k0 + o)), 1, xs * load<f32>(k1 + o)), 2, xs * load<f32>(k2 + o)), 3, xs * load<f32>(k3 + o)));
    bd = f32x4.add(bd, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(ys * load<f32>(r0 + o)), 1, ys * load<f32>(r1 + o)), 2, ys * load<f32>(r2 + o)), 3, ys * load<f32>(r3 + o)));
  }
  return f32x4.add(ac, bd);
}

// o[0..HS) = Σ_{j<n} e_j·v_j (+ o's values with `acc`): 16/4 channels at a time, keys inner.
// @ts-ignore: decorator
@inline
function weightedSum(o: usize, e: usize, v: usize, n: i32, HS: i32, hsBytes: usize, acc: bool): void {
  let c = 0;
  for (; c + 16 <= HS; c += 16) {
    const off = <usize>c << 2;
    let a0 = acc ? v128.load(o + off) : f32x4.splat(0), a1 = acc ? v128.load(o + off + 16) : f32x4.splat(0);
    let a2 = acc ? v128.load(o + off + 32) : f32x4.splat(0), a3 = acc ? v128.load(o + off + 48) : f32x4.splat(0);
    for (let j = 0; j < n; j++) {
      const w = f32x4.splat(load<f32>(e + (<usize>j << 2)));
      const vj = v + <usize>j * hsBytes + off;
      a0 = f32x4.add(a0, f32x4.mul(w, v128.load(vj)));
      a1 = f32x4.add(a1, f32x4.mul(w, v128.load(vj + 16)));
      a2 = f32x4.add(a2, f32x4.mul(w, v128.load(vj + 32)));
      a3 = f32x4.add(a3, f32x4.mul(w, v128.load(vj + 48)));
    }
    v128.store(o + off, a0);
    v128.store(o + off + 16, a1);
    v128.store(o + off + 32, a2);
    v128.store(o + off + 48, a3);
  }
  for (; c + 4 <= HS; c += 4) {
    const off = <usize>c << 2;
    let a = acc ? v128.load(o + off) : f32x4.splat(0);
    for (let j = 0; j < n; j++) a = f32x4.add(a, f32x4.mul(f32x4.splat(load<f32>(e + (<usize>j << 2))), v128.load(v + <usize>j * hsBytes + off)));
    v128.store(o + off, a);
  }
  for (; c < HS; c++) {
    const off = <usize>c << 2;
    let a: f32 = acc ? load<f32>(o + off) : 0;
    for (let j = 0; j < n; j++) a += load<f32>(e + (<usize>j << 2)) * load<f32>(v + <usize>j * hsBytes + off);
    store<f32>(o + off, a);
  }
}

// One key's logit: scale·((q + u)·k + (q + vb)·r[min(d, D)]), −∞ when the key comes after the query (d < 0).
// @ts-ignore: decorator
@inline
function logit(qu: usize, qv: usize, k: usize, rh: usize, d: i32, D: i32, HS: i32, hsBytes: usize, scale: f32): f32 {
  if (d < 0) return -Infinity;
  return scale * (dot(qu, k, HS) + dot(qv, rh + <usize>min(d, D) * hsBytes, HS));
}

export function decodeRelativeAttention(p: usize, start: i32, end: i32): void {
  const out = <usize>word(p, PARAM_OUT), outStride = word(p, PARAM_OUT_STRIDE);
  const q = <usize>word(p, PARAM_Q), qStride = word(p, PARAM_Q_STRIDE);
  const K = <usize>word(p, PARAM_K), V = <usize>word(p, PARAM_V);
  const lens = <usize>word(p, PARAM_LENS), pos = <usize>word(p, PARAM_POS), S = word(p, PARAM_SLOTS);
  const NH = word(p, PARAM_NH), HS = word(p, PARAM_HS), nq = word(p, PARAM_NQ);
  const scale = load<f32>(p + (<usize>PARAM_SCALE << 2));
  const R = <usize>word(p, PARAM_R), U = <usize>word(p, PARAM_U), VB = <usize>word(p, PARAM_VB), D = word(p, PARAM_D);
  const scratch = <usize>word(p, PARAM_SCRATCH), scratchStride = word(p, PARAM_SCRATCH_STRIDE);
  const P = word(p, PARAM_SHARED), Bn = word(p, PARAM_B);
  const hsBytes = <usize>HS << 2, S4 = (S + 3) & ~3;
  for (let u = start; u < end; u++) {
    const b = P > 0 ? u % Bn : u / NH, h = P > 0 ? u / Bn : u % NH;
    const len = load<i32>(lens + (<usize>b << 2));
    const posRow = pos + ((<usize>b * <usize>S) << 2);
    const s = scratch + ((<usize>(b * NH + h) * <usize>scratchStride) << 2);
    const qu = s + (<usize>S4 << 2), qv = qu + hsBytes;
    const rh = R + <usize>h * <usize>(D + 1) * hsBytes;
    const own = K + <usize>(b * NH + h) * <usize>S * hsBytes, sharedK = K + <usize>h * <usize>S * hsBytes;
    for (let r = 0; r < nq; r++) {
      const slot = len - nq + r, n = slot + 1;
      const qp = q + ((<usize>(b * nq + r) * <usize>qStride + <usize>h * <usize>HS) << 2);
      const qpos = load<i32>(posRow + (<usize>slot << 2));
      for (let c = 0; c < HS; c++) {
        const x = load<f32>(qp + (<usize>c << 2)), o = (<usize>c << 2) + <usize>h * hsBytes;
        store<f32>(qu + (<usize>c << 2), x + load<f32>(U + o));
        store<f32>(qv + (<usize>c << 2), x + load<f32>(VB + o));
      }
      // logits: the content term on the key, the position term on r at the key's distance — 4 keys at a
      // time (a block with a masked key or across the shared prefix's end key by key), then the tail
      const sv = f32x4.splat(scale);
      let mx = f32x4.splat(-Infinity);
      let j0 = 0;
      for (; j0 + 4 <= n; j0 += 4) {
        const p0 = posRow + (<usize>j0 << 2);
        const d0 = qpos - load<i32>(p0), d1 = qpos - load<i32>(p0 + 4), d2 = qpos - load<i32>(p0 + 8), d3 = qpos - load<i32>(p0 + 12);
        if ((d0 | d1 | d2 | d3) >= 0 && !(j0 < P && j0 + 4 > P)) {
          const kj = (j0 < P ? sharedK : own) + <usize>j0 * hsBytes;
          v128.store(s + (<usize>j0 << 2), f32x4.mul(sv, dot4x2(qu, qv, kj, kj + hsBytes, kj + 2 * hsBytes, kj + 3 * hsBytes,
            rh + <usize>min(d0, D) * hsBytes, rh + <usize>min(d1, D) * hsBytes, rh + <usize>min(d2, D) * hsBytes, rh + <usize>min(d3, D) * hsBytes, HS)));
        } else {
          for (let j = j0; j < j0 + 4; j++) store<f32>(s + (<usize>j << 2), logit(qu, qv, (j < P ? sharedK : own) + <usize>j * hsBytes, rh, qpos - load<i32>(posRow + (<usize>j << 2)), D, HS, hsBytes, scale));
        }
        mx = f32x4.max(mx, v128.load(s + (<usize>j0 << 2)));
      }
      let m: f32 = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
      for (let j = j0; j < n; j++) {
        const x = logit(qu, qv, (j < P ? sharedK : own) + <usize>j * hsBytes, rh, qpos - load<i32>(posRow + (<usize>j << 2)), D, HS, hsBytes, scale);
        store<f32>(s + (<usize>j << 2), x);
        m = max(m, x);
      }
      // softmax: e_j = exp(logit_j − max) in place, z = Σ e_j in lane order
      const z = expShiftSum(s, n, m);
      const o = out + ((<usize>(b * nq + r) * <usize>outStride + <usize>h * <usize>HS) << 2);
      const nS = min(P, n);
      if (nS > 0) weightedSum(o, s, V + <usize>h * <usize>S * hsBytes, nS, HS, hsBytes, false);
      weightedSum(o, s + (<usize>nS << 2), V + (<usize>(b * NH + h) * <usize>S + <usize>nS) * hsBytes, n - nS, HS, hsBytes, nS > 0);
      const inv: f32 = <f32>1 / z;
      for (let c = 0; c < HS; c++) store<f32>(o + (<usize>c << 2), load<f32>(o + (<usize>c << 2)) * inv);
    }
  }
}
