// Register-tiled attention for one (b, h) when HS is a multiple of 4 (attention.as.ts dispatches here;
// other head sizes take its row-at-a-time path). Every product of the forward and the backward —
// S = Q·Kᵀ, O += P·V, dP = dO·Vᵀ, dQ += dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO — is one call of `gemm4`:
// a 4-row × 8-column tile of the output in 8 f32x4 accumulators, each loaded B vector reused by 4
// rows. K and V blocks are packed transposed (HS × BK, `packTransposed`) so that the score products
// run over contiguous keys. Query rows are taken in groups of 4; a group's key range [cs, ce) (4-aligned)
// stops at its causal diagonal and starts at its window edge, so almost no masked work is computed;
// the few masked entries inside it are set per row (−inf before the exp, hence P = dS = 0 there).
// Sums run in a fixed order per (b, h), so results do not depend on the split over B·NH.
import { expf1, expf4 } from "../mathf4/mathf4.as";
import { BIAS_NONE, biasAt, biasGrad, dot, firstKey, gBiasMode, hsum, scaleRow, zero } from "./attention.as";

// C(r, 0..N) (= or +=) alpha · Σ_{t < depth} A(r, t)·B(t, 0..N) for the rows r < rows (1…4); N % 4 == 0.
// Addresses (bytes): A(r, t) = a + r·aRow + t·aK, B(t, x) = b + t·bK + 4x, C(r, x) = c + r·cRow + 4x.
// Rows ≥ `rows` load row rows−1 (computed, never stored), so a partial tile reads nothing out of range.
function gemm4(c: usize, cRow: usize, a: usize, aRow: usize, aK: usize, b: usize, bK: usize,
  depth: i32, rows: i32, N: i32, alpha: f32, add: bool): void {
  const a0 = a, a1 = a + <usize>min(1, rows - 1) * aRow, a2 = a + <usize>min(2, rows - 1) * aRow, a3 = a + <usize>min(3, rows - 1) * aRow;
  let x = 0;
  for (; x + 8 <= N; x += 8) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let pb = b + (<usize>x << 2), pa: usize = 0;
    for (let t = 0; t < depth; t++) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      const x0 = v128.load32_splat(a0 + pa), x1 = v128.load32_splat(a1 + pa);
      c00 = f32x4.add(c00, f32x4.mul(x0, b0)); c01 = f32x4.add(c01, f32x4.mul(x0, b1));
      c10 = f32x4.add(c10, f32x4.mul(x1, b0)); c11 = f32x4.add(c11, f32x4.mul(x1, b1));
      const x2 = v128.load32_splat(a2 + pa), x3 = v128.load32_splat(a3 + pa);
      c20 = f32x4.add(c20, f32x4.mul(x2, b0)); c21 = f32x4.add(c21, f32x4.mul(x2, b1));
      c30 = f32x4.add(c30, f32x4.mul(x3, b0)); c31 = f32x4.add(c31, f32x4.mul(x3, b1));
      pa += aK; pb += bK;
    }
    const p = c + (<usize>x << 2);
    put(p, c00, alpha, add); put(p + 16, c01, alpha, add);
    if (rows > 1) { put(p + cRow, c10, alpha, add); put(p + cRow + 16, c11, alpha, add); }
    if (rows > 2) { put(p + 2 * cRow, c20, alpha, add); put(p + 2 * cRow + 16, c21, alpha, add); }
    if (rows > 3) { put(p + 3 * cRow, c30, alpha, add); put(p + 3 * cRow + 16, c31, alpha, add); }
  }
  if (x < N) { // one 4-column strip (N % 8 == 4)
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let pb = b + (<usize>x << 2), pa: usize = 0;
    for (let t = 0; t < depth; t++) {
      const b0 = v128.load(pb);
      c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(a0 + pa), b0));
      c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(a1 + pa), b0));
      c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(a2 + pa), b0));
      c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(a3 + pa), b0));
      pa += aK; pb += bK;
    }
    const p = c + (<usize>x << 2);
    put(p, c0, alpha, add);
    if (rows > 1) put(p + cRow, c1, alpha, add);
    if (rows > 2) put(p + 2 * cRow, c2, alpha, add);
    if (rows > 3) put(p + 3 * cRow, c3, alpha, add);
  }
}

@inline
function put(p: usize, acc: v128, alpha: f32, add: bool): void {
  const s = f32x4.mul(acc, f32x4.splat(alpha));
  v128.store(p, add ? f32x4.add(v128.load(p), s) : s);
}

// dst[d·BK + c] = src[c·HS + d] for the n rows of src; columns n ≤ c < n4 are zero.
function packTransposed(dst: usize, BK: i32, src: usize, HS: i32, n: i32, n4: i32): void {
  const rowBytes = <usize>HS << 2, colBytes = <usize>BK << 2;
  for (let c = 0; c < n; c++) {
    const s = src + <usize>c * rowBytes, d0 = dst + (<usize>c << 2);
    for (let d = 0; d < HS; d++) store<f32>(d0 + <usize>d * colBytes, load<f32>(s + (<usize>d << 2)));
  }
  for (let c = n; c < n4; c++) for (let d = 0; d < HS; d++) store<f32>(dst + (<usize>(d * BK + c) << 2), 0);
}

// Key columns [cs, ce) (relative to j0, 4-aligned, ≤ n4) that the query rows [g0, g1) see in the key
// block [j0, j1); cs ≥ ce when none does. Both ends are non-decreasing in g0.
@inline
function groupStart(g0: i32, j0: i32): i32 {
  return (max(j0, firstKey(g0)) - j0) & ~3;
}

@inline
function groupEnd(g1: i32, j0: i32, j1: i32): i32 {
  return (min(j1, g1) - j0 + 3) & ~3;
}

// Sets S[c] = −inf for c in [cs, ce) outside the row's visible keys [lo, hi) (relative to j0) and adds
// the bias on [lo, hi). Returns false (and zeroes [cs, ce)) when the row sees no key of the block.
@inline
function maskRow(s: usize, i: i32, j0: i32, j1: i32, cs: i32, ce: i32): bool {
  const lo = max(j0, firstKey(i)), hi = min(j1, i + 1);
  if (lo >= hi) { for (let c = cs; c < ce; c++) store<f32>(s + (<usize>c << 2), 0); return false; }
  if (gBiasMode != BIAS_NONE) {
    for (let j = lo; j < hi; j++) { const p = s + (<usize>(j - j0) << 2); store<f32>(p, load<f32>(p) + biasAt(i, j)); }
  }
  for (let c = cs; c < lo - j0; c++) store<f32>(s + (<usize>c << 2), -Infinity);
  for (let c = hi - j0; c < ce; c++) store<f32>(s + (<usize>c << 2), -Infinity);
  return true;
}

// Forward of one (b, h) over the queries [q0, q1): out rows (stride oStride bytes), lse row,
// scratch S [BQ·BK], M [BQ], L [BQ], KT [HS·BK].
export function forwardHeadTiled(o0: usize, oStride: usize, lseRow: usize, qh: usize, kh: usize, vh: usize, S: usize,
  HS: i32, scale: f32, q0: i32, q1: i32, BQ: i32, BK: i32): void {
  const M = S + (<usize>(BQ * BK) << 2), L = M + (<usize>BQ << 2), KT = L + (<usize>BQ << 2);
  const hb = <usize>HS << 2, sRow = <usize>BK << 2;
  for (let i0 = q0; i0 < q1; i0 += BQ) {
    const i1 = min(i0 + BQ, q1);
    for (let i = i0; i < i1; i++) {
      store<f32>(M + (<usize>(i - i0) << 2), -Infinity);
      store<f32>(L + (<usize>(i - i0) << 2), 0);
      zero(o0 + <usize>i * oStride, HS);
    }
    for (let j0 = firstKey(i0); j0 < i1; j0 += BK) {
      const j1 = min(j0 + BK, i1), n = j1 - j0, n4 = (n + 3) & ~3;
      packTransposed(KT, BK, kh + <usize>j0 * hb, HS, n, n4);
      for (let g0 = i0; g0 < i1; g0 += 4) {
        const g1 = min(g0 + 4, i1), rows = g1 - g0;
        const cs = groupStart(g0, j0), ce = groupEnd(g1, j0, j1);
        if (cs >= ce) continue;
        const sg = S + <usize>(g0 - i0) * sRow;
        gemm4(sg + (<usize>cs << 2), sRow, qh + <usize>g0 * hb, hb, 4, KT + (<usize>cs << 2), sRow, HS, rows, ce - cs, scale, false);
        for (let i = g0; i < g1; i++) {
          const r = <usize>(i - i0) << 2;
          softmaxRow(sg + <usize>(i - g0) * sRow, cs, ce, i, j0, j1, M + r, L + r, o0 + <usize>i * oStride, HS);
        }
        gemm4(o0 + <usize>g0 * oStride, oStride, sg + (<usize>cs << 2), sRow, 4, vh + <usize>(j0 + cs) * hb, hb,
          min(ce, n) - cs, rows, HS, 1, true);
      }
    }
    for (let i = i0; i < i1; i++) {
      const l = load<f32>(L + (<usize>(i - i0) << 2));
      scaleRow(o0 + <usize>i * oStride, 1 / l, HS);
      store<f32>(lseRow + (<usize>i << 2), load<f32>(M + (<usize>(i - i0) << 2)) + Mathf.log(l));
    }
  }
}

// Online-softmax update of one row with its scores s[cs, ce): running max *mp, sum *lp, output row o
// rescaled; s becomes p = exp(s − m) (0 where masked).
@inline
function softmaxRow(s: usize, cs: i32, ce: i32, i: i32, j0: i32, j1: i32, mp: usize, lp: usize, o: usize, HS: i32): void {
  if (!maskRow(s, i, j0, j1, cs, ce)) return;
  let mv = f32x4.splat(-Infinity);
  for (let c = cs; c < ce; c += 4) mv = f32x4.max(mv, v128.load(s + (<usize>c << 2)));
  const mOld = load<f32>(mp);
  const m = max(mOld, max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3))));
  let l = load<f32>(lp);
  if (m > mOld) {
    const alpha = expf1(mOld - m);
    l *= alpha;
    scaleRow(o, alpha, HS);
    store<f32>(mp, m);
  }
  const ms = f32x4.splat(m);
  let lv = f32x4.splat(0);
  for (let c = cs; c < ce; c += 4) {
    const p = expf4(f32x4.sub(v128.load(s + (<usize>c << 2)), ms));
    v128.store(s + (<usize>c << 2), p);
    lv = f32x4.add(lv, p);
  }
  store<f32>(lp, l + hsum(lv));
}

// Backward of one (b, h) (dq, dk, dv slabs zeroed by the caller): g0 / oh the dout / out rows (stride
// cb bytes), dB the bias-gradient slab (0 = none), scratch P [BQ·BK], dS [BQ·BK], D [BQ], KT, VT [HS·BK].
export function backwardHeadTiled(dqh: usize, dkh: usize, dvh: usize, dB: usize, gh: usize, oh: usize, cb: usize, lseRow: usize,
  qh: usize, kh: usize, vh: usize, P: usize, T: i32, HS: i32, scale: f32, BQ: i32, BK: i32): void {
  const dS = P + (<usize>(BQ * BK) << 2), D = dS + (<usize>(BQ * BK) << 2), KT = D + (<usize>BQ << 2), VT = KT + (<usize>(HS * BK) << 2);
  const hb = <usize>HS << 2, sRow = <usize>BK << 2;
  for (let i0 = 0; i0 < T; i0 += BQ) {
    const i1 = min(i0 + BQ, T);
    for (let i = i0; i < i1; i++) store<f32>(D + (<usize>(i - i0) << 2), dot(gh + <usize>i * cb, oh + <usize>i * cb, HS));
    for (let j0 = firstKey(i0); j0 < i1; j0 += BK) {
      const j1 = min(j0 + BK, i1), n = j1 - j0, n4 = (n + 3) & ~3;
      packTransposed(KT, BK, kh + <usize>j0 * hb, HS, n, n4);
      packTransposed(VT, BK, vh + <usize>j0 * hb, HS, n, n4);
      for (let g0 = i0; g0 < i1; g0 += 4) {
        const g1 = min(g0 + 4, i1), rows = g1 - g0;
        const cs = groupStart(g0, j0), ce = groupEnd(g1, j0, j1);
        if (cs >= ce) continue;
        const pg = P + <usize>(g0 - i0) * sRow, dg = dS + <usize>(g0 - i0) * sRow, co = <usize>cs << 2;
        gemm4(pg + co, sRow, qh + <usize>g0 * hb, hb, 4, KT + co, sRow, HS, rows, ce - cs, scale, false);
        gemm4(dg + co, sRow, gh + <usize>g0 * cb, cb, 4, VT + co, sRow, HS, rows, ce - cs, 1, false);
        for (let i = g0; i < g1; i++) {
          const r = <usize>(i - g0) * sRow;
          if (!maskRow(pg + r, i, j0, j1, cs, ce)) { zero(dg + r + co, ce - cs); continue; }
          const lv = f32x4.splat(load<f32>(lseRow + (<usize>i << 2))), Dv = f32x4.splat(load<f32>(D + (<usize>(i - i0) << 2)));
          for (let c = cs; c < ce; c += 4) {
            const o = r + (<usize>c << 2);
            const p = expf4(f32x4.sub(v128.load(pg + o), lv));
            v128.store(pg + o, p);
            v128.store(dg + o, f32x4.mul(p, f32x4.sub(v128.load(dg + o), Dv)));
          }
          if (dB != 0) biasGrad(dB, dg + r, i, max(j0, firstKey(i)), min(j1, i + 1), j0, T);
        }
        gemm4(dqh + <usize>g0 * hb, hb, dg + co, sRow, 4, kh + <usize>(j0 + cs) * hb, hb, min(ce, n) - cs, rows, HS, scale, true);
      }
      keyGradients(dkh, dvh, P, dS, gh, cb, qh, hb, sRow, i0, i1, j0, j1, scale, HS);
    }
  }
}

// dK[j] += scale·Σ_i dS[i][j]·q_i and dV[j] += Σ_i P[i][j]·dout_i for the keys of [j0, j1), 4 keys
// at a time, over the query rows whose groups computed that key column (the others have P = dS = 0
// or never see it).
function keyGradients(dkh: usize, dvh: usize, P: usize, dS: usize, gh: usize, cb: usize, qh: usize, hb: usize, sRow: usize,
  i0: i32, i1: i32, j0: i32, j1: i32, scale: f32, HS: i32): void {
  const n = j1 - j0;
  for (let c = 0; c < n; c += 4) {
    let rA = i1, rB = i0;
    for (let g0 = i0; g0 < i1; g0 += 4) {
      const g1 = min(g0 + 4, i1);
      if (groupStart(g0, j0) <= c && c < groupEnd(g1, j0, j1)) { rA = min(rA, g0); rB = g1; }
    }
    if (rA >= rB) continue;
    const off = <usize>(rA - i0) * sRow + (<usize>c << 2), keys = min(4, n - c), jb = <usize>(j0 + c) * hb;
    gemm4(dkh + jb, hb, dS + off, 4, sRow, qh + <usize>rA * hb, hb, rB - rA, keys, HS, scale, true);
    gemm4(dvh + jb, hb, P + off, 4, sRow, gh + <usize>rA * cb, cb, rB - rA, keys, HS, 1, true);
  }
}
