// Register-tiled attention for one (b, h) when HS is a multiple of 4 (attention.as.ts dispatches here;
// other head sizes take its row-at-a-time path).
//
// Query rows go in groups of 4. A group's scores live **interleaved**: the f32x4 at tile + 16·c holds
// the 4 rows' logits for key column c. So
// - the softmax runs on 4 rows per vector (lane r = row g0 + r): running max, sum and exp need no
//   horizontal reduction, and the mask is a lane compare against per-row [lo, hi) vectors, applied
//   only to groups that touch the causal diagonal or the window edge;
// - every product whose left operand is a group's 4 rows (S = Q·Kᵀ, dP = dO·Vᵀ, O += P·V,
//   dQ += dS·K) is `gemmGroup`: one v128 load + 4 lane shuffles per step feed a 4 × 8 tile of
//   accumulators (8 f32x4, well inside V8's 15 XMM registers), each B vector reused by 4 rows.
//   Q and dO are packed interleaved per query block, K and V once per head into 4-key panels.
// - dK += dSᵀ·Q and dV += Pᵀ·dO (4 keys × 8 columns per tile) read the interleaved tiles with
//   splat loads (`gemmKeys`), over the query rows whose groups computed those keys.
// A group's key range [cs, ce) (4-aligned) ends at its causal diagonal and starts at its window
// edge, so the masked work is at most 3 keys per row and block. Sums run in a fixed order per (b, h):
// results do not depend on the split over B·NH.
import { expf4 } from "../mathf4/mathf4.as";
import { BIAS_NONE, biasAt, biasGrad, dot, firstKey, firstKeyBlock, keyBlockEnd, nextKeyBlock, rowFirst, scaleRow, visible, zero } from "./attention.as";
import { HeadState } from "./attention-params.as";

// ---- products -------------------------------------------------------------------------------------

// acc(r, x) = Σ_{t < depth} A_t[r]·B(t, x), r < 4, x < N (N % 4 == 0); A_t = the f32x4 at a + 16t;
// B(t, x) = b + (x >> 2)·bS + t·bK + 4·(x & 3) (bS = 16 for a row-major B, HS·16 for 4-key panels).
// toTile: T(x)[r] = alpha·acc(r, x) at c + 16x (interleaved, all 4 lanes, `=`);
// else C(r, x) += alpha·acc(r, x) at c + r·cRow + 4x for the rows r < rows.
function gemmGroup(c: usize, cRow: usize, a: usize, b: usize, bK: usize, bS: usize,
  depth: i32, rows: i32, N: i32, alpha: f32, toTile: bool): void {
  let x = 0;
  for (; x + 8 <= N; x += 8) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let pa = a, pb = b + <usize>(x >> 2) * bS;
    for (let t = 0; t < depth; t++) {
      const av = v128.load(pa), b0 = v128.load(pb), b1 = v128.load(pb + bS);
      let s = v128.shuffle<f32>(av, av, 0, 0, 0, 0);
      c00 = f32x4.add(c00, f32x4.mul(s, b0)); c01 = f32x4.add(c01, f32x4.mul(s, b1));
      s = v128.shuffle<f32>(av, av, 1, 1, 1, 1);
      c10 = f32x4.add(c10, f32x4.mul(s, b0)); c11 = f32x4.add(c11, f32x4.mul(s, b1));
      s = v128.shuffle<f32>(av, av, 2, 2, 2, 2);
      c20 = f32x4.add(c20, f32x4.mul(s, b0)); c21 = f32x4.add(c21, f32x4.mul(s, b1));
      s = v128.shuffle<f32>(av, av, 3, 3, 3, 3);
      c30 = f32x4.add(c30, f32x4.mul(s, b0)); c31 = f32x4.add(c31, f32x4.mul(s, b1));
      pa += 16; pb += bK;
    }
    storeTile(c, cRow, x, c00, c10, c20, c30, rows, alpha, toTile);
    storeTile(c, cRow, x + 4, c01, c11, c21, c31, rows, alpha, toTile);
  }
  if (x < N) { // one 4-column strip
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let pa = a, pb = b + <usize>(x >> 2) * bS;
    for (let t = 0; t < depth; t++) {
      const av = v128.load(pa), b0 = v128.load(pb);
      c0 = f32x4.add(c0, f32x4.mul(v128.shuffle<f32>(av, av, 0, 0, 0, 0), b0));
      c1 = f32x4.add(c1, f32x4.mul(v128.shuffle<f32>(av, av, 1, 1, 1, 1), b0));
      c2 = f32x4.add(c2, f32x4.mul(v128.shuffle<f32>(av, av, 2, 2, 2, 2), b0));
      c3 = f32x4.add(c3, f32x4.mul(v128.shuffle<f32>(av, av, 3, 3, 3, 3), b0));
      pa += 16; pb += bK;
    }
    storeTile(c, cRow, x, c0, c1, c2, c3, rows, alpha, toTile);
  }
}

// Rows r0…r3 of columns [x, x + 4): transposed into the interleaved tile, or added to C's rows.
@inline
function storeTile(c: usize, cRow: usize, x: i32, r0: v128, r1: v128, r2: v128, r3: v128, rows: i32, alpha: f32, toTile: bool): void {
  const al = f32x4.splat(alpha);
  if (toTile) {
    const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    const p = c + (<usize>x << 4);
    v128.store(p, f32x4.mul(al, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5)));
    v128.store(p, f32x4.mul(al, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7)), 16);
    v128.store(p, f32x4.mul(al, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5)), 32);
    v128.store(p, f32x4.mul(al, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7)), 48);
    return;
  }
  const p = c + (<usize>x << 2);
  v128.store(p, f32x4.add(v128.load(p), f32x4.mul(al, r0)));
  if (rows > 1) v128.store(p + cRow, f32x4.add(v128.load(p + cRow), f32x4.mul(al, r1)));
  if (rows > 2) v128.store(p + 2 * cRow, f32x4.add(v128.load(p + 2 * cRow), f32x4.mul(al, r2)));
  if (rows > 3) v128.store(p + 3 * cRow, f32x4.add(v128.load(p + 3 * cRow), f32x4.mul(al, r3)));
}

// C(r, 0..HS) += alpha·Σ_{t < depth} A(r, t)·B(t, ·) for the keys r < keys (≤ 4), where A(r, t) is
// lane t & 3 of key column r in the interleaved tile of group t >> 2: a + (t >> 2)·aG + 16r + 4·(t & 3);
// B(t, x) = b + t·bK + 4x (row-major). Rows ≥ keys are computed from the tile and never stored.
function gemmKeys(c: usize, cRow: usize, a: usize, aG: usize, b: usize, bK: usize, depth: i32, keys: i32, HS: i32, alpha: f32): void {
  let x = 0;
  for (; x + 8 <= HS; x += 8) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let pa = a, pb = b + (<usize>x << 2);
    for (let t = 0; t < depth; t++) {
      const l = <usize>(t & 3) << 2;
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      const x0 = v128.load32_splat(pa + l), x1 = v128.load32_splat(pa + l, 16);
      c00 = f32x4.add(c00, f32x4.mul(x0, b0)); c01 = f32x4.add(c01, f32x4.mul(x0, b1));
      c10 = f32x4.add(c10, f32x4.mul(x1, b0)); c11 = f32x4.add(c11, f32x4.mul(x1, b1));
      const x2 = v128.load32_splat(pa + l, 32), x3 = v128.load32_splat(pa + l, 48);
      c20 = f32x4.add(c20, f32x4.mul(x2, b0)); c21 = f32x4.add(c21, f32x4.mul(x2, b1));
      c30 = f32x4.add(c30, f32x4.mul(x3, b0)); c31 = f32x4.add(c31, f32x4.mul(x3, b1));
      if ((t & 3) == 3) pa += aG;
      pb += bK;
    }
    storeTile(c, cRow, x, c00, c10, c20, c30, keys, alpha, false);
    storeTile(c, cRow, x + 4, c01, c11, c21, c31, keys, alpha, false);
  }
  if (x < HS) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    let pa = a, pb = b + (<usize>x << 2);
    for (let t = 0; t < depth; t++) {
      const l = <usize>(t & 3) << 2;
      const b0 = v128.load(pb);
      c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa + l), b0));
      c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(pa + l, 16), b0));
      c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(pa + l, 32), b0));
      c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(pa + l, 48), b0));
      if ((t & 3) == 3) pa += aG;
      pb += bK;
    }
    storeTile(c, cRow, x, c0, c1, c2, c3, keys, alpha, false);
  }
}

// ---- packing --------------------------------------------------------------------------------------

// dst[t >> 2][d][t & 3] = src row t (stride rowBytes), d < HS, for the rows [0, n); lanes ≥ n of the
// last group are 0. Used for query groups (Q, dO) and for 4-key panels (K, V): the same layout.
function packInterleaved(dst: usize, src: usize, rowBytes: usize, n: i32, HS: i32): void {
  const n4 = (n + 3) & ~3;
  let t = 0;
  for (; t + 4 <= n; t += 4) { // full groups: 4×4 transposes (HS % 4 == 0)
    const s0 = src + <usize>t * rowBytes, s1 = s0 + rowBytes, s2 = s1 + rowBytes, s3 = s2 + rowBytes;
    const d0 = dst + (<usize>(t >> 2) * <usize>HS << 4);
    for (let d = 0; d < HS; d += 4) {
      const o = <usize>d << 2;
      const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const p = d0 + (<usize>d << 4);
      v128.store(p, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(p, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
      v128.store(p, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
      v128.store(p, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
    }
  }
  for (; t < n4; t++) { // the last, partial group
    const d0 = dst + (<usize>(t >> 2) * <usize>HS << 4) + (<usize>(t & 3) << 2);
    if (t < n) {
      const s = src + <usize>t * rowBytes;
      for (let d = 0; d < HS; d++) store<f32>(d0 + (<usize>d << 4), load<f32>(s + (<usize>d << 2)));
    } else {
      for (let d = 0; d < HS; d++) store<f32>(d0 + (<usize>d << 4), 0);
    }
  }
}

// ---- masks ----------------------------------------------------------------------------------------

// Key columns [cs, ce) (relative to the 4-aligned j0; 4-aligned, ≤ n4) that the rows [g0, g1) see in
// the key block [j0, j1); cs ≥ ce when none does. Both ends are non-decreasing in g0.
@inline
function groupStart(st: HeadState, g0: i32, j0: i32): i32 {
  return j0 < st.global ? 0 : (max(j0, firstKey(st, g0)) - j0) & ~3; // a block of global keys: from its start
}

@inline
function groupEnd(g1: i32, j0: i32, j1: i32): i32 {
  return (min(j1, g1) - j0 + 3) & ~3;
}

// Adds the bias to the visible logits of the group's rows and sets the columns [cs, ce) outside each
// row's visible keys [lo, hi) to −inf (lanes ≥ rows: every column). Skipped for a group that sees
// all of [cs, ce) on every lane. With dilation or global tokens (st.extra) every element is tested.
function maskGroup(st: HeadState, tile: usize, g0: i32, rows: i32, j0: i32, j1: i32, cs: i32, ce: i32): void {
  if (st.extra) {
    for (let c = cs; c < ce; c++) {
      const j = j0 + c;
      for (let r = 0; r < 4; r++) {
        const i = g0 + r, p = tile + (<usize>c << 4) + (<usize>r << 2);
        if (r < rows && j < j1 && visible(st, i, j)) {
          if (st.biasMode != BIAS_NONE) store<f32>(p, load<f32>(p) + biasAt(st, i, j));
        } else store<f32>(p, -Infinity);
      }
    }
    return;
  }
  if (st.biasMode != BIAS_NONE) {
    for (let r = 0; r < rows; r++) {
      const i = g0 + r;
      for (let j = max(j0, firstKey(st, i)); j < min(j1, i + 1); j++) {
        const p = tile + (<usize>(j - j0) << 4) + (<usize>r << 2);
        store<f32>(p, load<f32>(p) + biasAt(st, i, j));
      }
    }
  }
  // lane r: [lo, hi) of row g0 + r; rows ≥ `rows` get the empty [j1, j1)
  const lo = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(rowLo(st, g0, 0, rows, j0, j1)),
    1, rowLo(st, g0, 1, rows, j0, j1)), 2, rowLo(st, g0, 2, rows, j0, j1)), 3, rowLo(st, g0, 3, rows, j0, j1));
  const hi = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(rowHi(g0, 0, rows, j1)),
    1, rowHi(g0, 1, rows, j1)), 2, rowHi(g0, 2, rows, j1)), 3, rowHi(g0, 3, rows, j1));
  const full = rows == 4 && i32x4.extract_lane(lo, 3) <= j0 + cs && i32x4.extract_lane(hi, 0) >= j0 + ce;
  if (full) return;
  const ninf = f32x4.splat(-Infinity);
  for (let c = cs; c < ce; c++) {
    const jv = i32x4.splat(j0 + c), p = tile + (<usize>c << 4);
    v128.store(p, v128.bitselect(v128.load(p), ninf, v128.and(i32x4.ge_s(jv, lo), i32x4.lt_s(jv, hi))));
  }
}

@inline
function rowLo(st: HeadState, g0: i32, r: i32, rows: i32, j0: i32, j1: i32): i32 {
  return r < rows ? max(j0, firstKey(st, g0 + r)) : j1;
}

@inline
function rowHi(g0: i32, r: i32, rows: i32, j1: i32): i32 {
  return r < rows ? min(j1, g0 + r + 1) : j1;
}

// ---- forward --------------------------------------------------------------------------------------

/** Floats of one forward scratch slot of the tiled path (see forwardHeadTiled). */
export function forwardSlotFloats(T: i32, HS: i32, BQ: i32, BK: i32): i32 {
  const bq4 = (BQ + 3) & ~3;
  return bq4 * BK + 2 * bq4 + bq4 * HS + ((T + 3) & ~3) * HS;
}

// Forward of one (b, h) over the queries [q0, q1): out rows (stride oStride bytes), lse row. Scratch:
// tiles [BQ4·BK], running max M [BQ4] and sum L [BQ4] (interleaved per group), Q block packed
// [BQ4·HS], K packed in 4-key panels [T4·HS].
export function forwardHeadTiled(st: HeadState, o0: usize, oStride: usize, lseRow: usize, qh: usize, kh: usize, vh: usize, S: usize,
  HS: i32, scale: f32, q0: i32, q1: i32, BQ: i32, BK: i32): void {
  const bq4 = (BQ + 3) & ~3, hb = <usize>HS << 2, panel = <usize>HS << 4, gTile = <usize>BK << 4;
  const M = S + (<usize>(bq4 * BK) << 2), L = M + (<usize>bq4 << 2), QP = L + (<usize>bq4 << 2), KP = QP + (<usize>(bq4 * HS) << 2);
  packInterleaved(KP, kh, hb, q1, HS);
  for (let i0 = q0; i0 < q1; i0 += BQ) {
    const i1 = min(i0 + BQ, q1);
    packInterleaved(QP, qh + <usize>i0 * hb, hb, i1 - i0, HS);
    for (let g = 0; g < bq4; g += 4) {
      v128.store(M + (<usize>g << 2), f32x4.splat(-Infinity));
      v128.store(L + (<usize>g << 2), f32x4.splat(0));
    }
    for (let i = i0; i < i1; i++) zero(o0 + <usize>i * oStride, HS);
    const s = firstKey(st, i0) & ~3;
    for (let j0 = firstKeyBlock(st, s); j0 < i1; ) {
      const j1 = keyBlockEnd(st, j0, s, i1, BK);
      for (let g0 = i0; g0 < i1; g0 += 4) {
        const rows = min(4, i1 - g0), gi = <usize>(g0 - i0) >> 2;
        const cs = groupStart(st, g0, j0), ce = groupEnd(g0 + rows, j0, j1);
        if (cs >= ce) continue;
        const tile = S + gi * gTile;
        gemmGroup(tile + (<usize>cs << 4), 0, QP + gi * panel, KP + <usize>((j0 + cs) >> 2) * panel, 16, panel, HS, 4, ce - cs, scale, true);
        maskGroup(st, tile, g0, rows, j0, j1, cs, ce);
        onlineSoftmax(tile, cs, ce, M + (gi << 4), L + (gi << 4), o0 + <usize>g0 * oStride, oStride, rows, HS);
        gemmGroup(o0 + <usize>g0 * oStride, oStride, tile + (<usize>cs << 4), vh + <usize>(j0 + cs) * hb, hb, 16,
          min(ce, j1 - j0) - cs, rows, HS, 1, false);
      }
      j0 = nextKeyBlock(st, j0, j1, s);
    }
    for (let i = i0; i < i1; i++) {
      const l = load<f32>(L + (<usize>(i - i0) << 2));
      scaleRow(o0 + <usize>i * oStride, 1 / l, HS);
      store<f32>(lseRow + (<usize>i << 2), load<f32>(M + (<usize>(i - i0) << 2)) + Mathf.log(l));
    }
  }
}

// Online-softmax update of a group's 4 rows (lanes) with the logits tile[cs, ce): running max *mp and
// sum *lp (f32x4), the output rows rescaled; the tile becomes p = exp(logit − m) (0 where masked).
// A lane with no visible key so far keeps m = −inf and uses 0 as its shift, so nothing becomes NaN.
@inline
function onlineSoftmax(tile: usize, cs: i32, ce: i32, mp: usize, lp: usize, o: usize, oStride: usize, rows: i32, HS: i32): void {
  let mv = f32x4.splat(-Infinity);
  for (let c = cs; c < ce; c++) mv = f32x4.pmax(mv, v128.load(tile + (<usize>c << 4)));
  const mOld = v128.load(mp), m = f32x4.pmax(mOld, mv);
  const shift = v128.and(m, f32x4.ne(m, f32x4.splat(-Infinity)));
  const alpha = expf4(f32x4.sub(mOld, shift));
  v128.store(mp, m);
  let lv = f32x4.splat(0);
  for (let c = cs; c < ce; c++) {
    const p = tile + (<usize>c << 4);
    const e = expf4(f32x4.sub(v128.load(p), shift));
    v128.store(p, e);
    lv = f32x4.add(lv, e);
  }
  v128.store(lp, f32x4.add(f32x4.mul(v128.load(lp), alpha), lv));
  for (let r = 0; r < rows; r++) {
    const a = lane(alpha, r);
    if (a != 1) scaleRow(o + <usize>r * oStride, a, HS);
  }
}

@inline
function lane(v: v128, r: i32): f32 {
  return r == 0 ? f32x4.extract_lane(v, 0) : r == 1 ? f32x4.extract_lane(v, 1) : r == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

// ---- backward -------------------------------------------------------------------------------------

/** Floats of one backward scratch slot of the tiled path (see backwardHeadTiled). */
export function backwardSlotFloats(T: i32, HS: i32, BQ: i32, BK: i32): i32 {
  const bq4 = (BQ + 3) & ~3;
  return 2 * bq4 * BK + 2 * bq4 + 2 * bq4 * HS + 2 * ((T + 3) & ~3) * HS;
}

// Backward of one (b, h) (dq, dk, dv slabs zeroed by the caller): gh / oh the dout / out rows (stride
// cb bytes), dB the bias-gradient slab (0 = none). Scratch: P and dS tiles [BQ4·BK each], D and lse
// lanes [BQ4 each], Q and dO blocks packed [BQ4·HS each], K and V in 4-key panels [T4·HS each].
export function backwardHeadTiled(st: HeadState, dqh: usize, dkh: usize, dvh: usize, dB: usize, gh: usize, oh: usize, cb: usize, lseRow: usize,
  qh: usize, kh: usize, vh: usize, P: usize, T: i32, HS: i32, scale: f32, BQ: i32, BK: i32): void {
  const bq4 = (BQ + 3) & ~3, hb = <usize>HS << 2, panel = <usize>HS << 4, gTile = <usize>BK << 4;
  const dS = P + (<usize>(bq4 * BK) << 2), D = dS + (<usize>(bq4 * BK) << 2), LS = D + (<usize>bq4 << 2);
  const QP = LS + (<usize>bq4 << 2), GP = QP + (<usize>(bq4 * HS) << 2);
  const KP = GP + (<usize>(bq4 * HS) << 2), VP = KP + (<usize>(((T + 3) & ~3) * HS) << 2);
  packInterleaved(KP, kh, hb, T, HS);
  packInterleaved(VP, vh, hb, T, HS);
  for (let i0 = 0; i0 < T; i0 += BQ) {
    const i1 = min(i0 + BQ, T);
    packInterleaved(QP, qh + <usize>i0 * hb, hb, i1 - i0, HS);
    packInterleaved(GP, gh + <usize>i0 * cb, cb, i1 - i0, HS);
    for (let r = 0; r < bq4; r++) {
      const i = i0 + r, ok = i < i1;
      store<f32>(D + (<usize>r << 2), ok ? dot(gh + <usize>i * cb, oh + <usize>i * cb, HS) : 0);
      store<f32>(LS + (<usize>r << 2), ok ? load<f32>(lseRow + (<usize>i << 2)) : 0);
    }
    const s = firstKey(st, i0) & ~3;
    for (let j0 = firstKeyBlock(st, s); j0 < i1; ) {
      const j1 = keyBlockEnd(st, j0, s, i1, BK);
      for (let g0 = i0; g0 < i1; g0 += 4) {
        const rows = min(4, i1 - g0), gi = <usize>(g0 - i0) >> 2;
        const cs = groupStart(st, g0, j0), ce = groupEnd(g0 + rows, j0, j1);
        if (cs >= ce) continue;
        const pt = P + gi * gTile, dt = dS + gi * gTile, kp = <usize>((j0 + cs) >> 2) * panel, co = <usize>cs << 4;
        gemmGroup(pt + co, 0, QP + gi * panel, KP + kp, 16, panel, HS, 4, ce - cs, scale, true);
        gemmGroup(dt + co, 0, GP + gi * panel, VP + kp, 16, panel, HS, 4, ce - cs, 1, true);
        maskGroup(st, pt, g0, rows, j0, j1, cs, ce);
        const lv = v128.load(LS + (gi << 4)), Dv = v128.load(D + (gi << 4));
        for (let c = cs; c < ce; c++) {
          const o = <usize>c << 4;
          const p = expf4(f32x4.sub(v128.load(pt + o), lv));
          v128.store(pt + o, p);
          v128.store(dt + o, f32x4.mul(p, f32x4.sub(v128.load(dt + o), Dv)));
        }
        if (dB != 0) {
          for (let r = 0; r < rows; r++) {
            const i = g0 + r;
            biasGrad(st, dB, dt + (<usize>r << 2), 16, i, rowFirst(st, i, j0), min(j1, i + 1), j0, T);
          }
        }
        gemmGroup(dqh + <usize>g0 * hb, hb, dt + co, kh + <usize>(j0 + cs) * hb, hb, 16, min(ce, j1 - j0) - cs, rows, HS, scale, false);
      }
      keyGradients(st, dkh, dvh, P, dS, gh, cb, qh, hb, gTile, i0, i1, j0, j1, scale, HS);
      j0 = nextKeyBlock(st, j0, j1, s);
    }
  }
}

// dK[j] += scale·Σ_i dS[i][j]·q_i and dV[j] += Σ_i P[i][j]·dout_i for the keys of [j0, j1), 4 at a
// time, over the query rows of the groups that computed those keys (the others do not see them).
function keyGradients(st: HeadState, dkh: usize, dvh: usize, P: usize, dS: usize, gh: usize, cb: usize, qh: usize, hb: usize, gTile: usize,
  i0: i32, i1: i32, j0: i32, j1: i32, scale: f32, HS: i32): void {
  const n = j1 - j0;
  for (let c = 0; c < n; c += 4) {
    let rA = i1, rB = i0;
    for (let g0 = i0; g0 < i1; g0 += 4) {
      const g1 = min(g0 + 4, i1);
      if (groupStart(st, g0, j0) <= c && c < groupEnd(g1, j0, j1)) { rA = min(rA, g0); rB = g1; }
    }
    if (rA >= rB) continue;
    const off = <usize>((rA - i0) >> 2) * gTile + (<usize>c << 4), keys = min(4, n - c), jb = <usize>(j0 + c) * hb;
    gemmKeys(dkh + jb, hb, dS + off, gTile, qh + <usize>rA * hb, hb, rB - rA, keys, HS, scale);
    gemmKeys(dvh + jb, hb, P + off, gTile, gh + <usize>rA * cb, cb, rB - rA, keys, HS, 1);
  }
}
