// qkvRopeForward / qkvRopeBackward: split the fused qkv activations [B, T, 3C] (rows q, k, v; heads
// contiguous) into q, k, v [B, NH, T, HS], rotating the first `rotaryDim` channels of q and k on the
// way (RoPE, layout half-split or interleaved), and the transpose on the way back.
// Conventions (shapes, table layout, position ids, accumulate rule) are documented in qkv-rope.ts.
// Parallel dimension: rows r = b·T + t in [start, end); a row writes only its own (b, ·, t, ·)
// entries, so disjoint ranges never write the same bytes.

// dst[0..R) = rotation of src[0..R) by the table row (cos, sin) (sign = +1 forward, -1 transpose),
// dst[R..HS) = src[R..HS).
@inline
function rotateHalfSplit(dst: usize, src: usize, cos: usize, sin: usize, R: i32, HS: i32, sign: f32): void {
  const half = R >> 1;
  const sgn = f32x4.splat(sign);
  const hb = <usize>half << 2;
  let i = 0;
  for (; i + 4 <= half; i += 4) {
    const o = <usize>i << 2;
    const x1 = v128.load(src + o);
    const x2 = v128.load(src + hb + o);
    const c = v128.load(cos + o);
    const s = f32x4.mul(v128.load(sin + o), sgn);
    v128.store(dst + o, f32x4.sub(f32x4.mul(x1, c), f32x4.mul(x2, s)));
    v128.store(dst + hb + o, f32x4.add(f32x4.mul(x1, s), f32x4.mul(x2, c)));
  }
  for (; i < half; i++) {
    const o = <usize>i << 2;
    const x1 = load<f32>(src + o);
    const x2 = load<f32>(src + hb + o);
    const c = load<f32>(cos + o);
    const s = load<f32>(sin + o) * sign;
    store<f32>(dst + o, x1 * c - x2 * s);
    store<f32>(dst + hb + o, x1 * s + x2 * c);
  }
  copyTail(dst, src, R, HS);
}

@inline
function rotateInterleaved(dst: usize, src: usize, cos: usize, sin: usize, R: i32, HS: i32, sign: f32): void {
  const half = R >> 1;
  // lanes (x1, x2) of a pair: x1' = x1 c - x2 s, x2' = x2 c + x1 s  →  a·c2 + swap(a)·(-s, s)
  const alt = f32x4.mul(f32x4(-1, 1, -1, 1), f32x4.splat(sign));
  let i = 0;
  for (; i + 4 <= half; i += 4) {
    const o = <usize>i << 2;
    const c = v128.load(cos + o);
    const s = v128.load(sin + o);
    const a = v128.load(src + (o << 1));
    const b = v128.load(src + (o << 1) + 16);
    const ca = v128.shuffle<f32>(c, c, 0, 0, 1, 1);
    const cb = v128.shuffle<f32>(c, c, 2, 2, 3, 3);
    const sa = f32x4.mul(v128.shuffle<f32>(s, s, 0, 0, 1, 1), alt);
    const sb = f32x4.mul(v128.shuffle<f32>(s, s, 2, 2, 3, 3), alt);
    v128.store(dst + (o << 1), f32x4.add(f32x4.mul(a, ca), f32x4.mul(v128.shuffle<f32>(a, a, 1, 0, 3, 2), sa)));
    v128.store(dst + (o << 1) + 16, f32x4.add(f32x4.mul(b, cb), f32x4.mul(v128.shuffle<f32>(b, b, 1, 0, 3, 2), sb)));
  }
  for (; i < half; i++) {
    const o = <usize>i << 2;
    const x1 = load<f32>(src + (o << 1));
    const x2 = load<f32>(src + (o << 1) + 4);
    const c = load<f32>(cos + o);
    const s = load<f32>(sin + o) * sign;
    store<f32>(dst + (o << 1), x1 * c - x2 * s);
    store<f32>(dst + (o << 1) + 4, x1 * s + x2 * c);
  }
  copyTail(dst, src, R, HS);
}

@inline
function copyTail(dst: usize, src: usize, from: i32, HS: i32): void {
  let i = from;
  for (; i + 4 <= HS; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < HS; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

@inline
function rotateOrCopy(dst: usize, src: usize, cos: usize, sin: usize, R: i32, HS: i32, interleaved: i32, sign: f32): void {
  if (R == 0) copyTail(dst, src, 0, HS);
  else if (interleaved) rotateInterleaved(dst, src, cos, sin, R, HS, sign);
  else rotateHalfSplit(dst, src, cos, sin, R, HS, sign);
}

@inline
function rowPosition(posIds: usize, posBatchStride: i32, b: i32, t: i32): i32 {
  return posIds == 0 ? t : load<i32>(posIds + ((<usize>(b * posBatchStride + t)) << 2));
}

export function qkvRopeForward(
  q: usize, k: usize, v: usize, qkv: usize,
  cosQ: usize, sinQ: usize, cosK: usize, sinK: usize, posIds: usize, posBatchStride: i32,
  T: i32, NH: i32, HS: i32, rotaryDim: i32, interleaved: i32, start: i32, end: i32,
): void {
  const C = NH * HS;
  const rowTab = <usize>(rotaryDim >> 1) << 2;
  for (let r = start; r < end; r++) {
    const b = r / T, t = r % T;
    const tab = <usize>rowPosition(posIds, posBatchStride, b, t) * rowTab;
    const row = qkv + (<usize>r * <usize>(3 * C) << 2);
    for (let h = 0; h < NH; h++) {
      const dst = (<usize>((b * NH + h) * T + t) * <usize>HS) << 2;
      const src = row + (<usize>(h * HS) << 2);
      rotateOrCopy(q + dst, src, cosQ + tab, sinQ + tab, rotaryDim, HS, interleaved, 1);
      rotateOrCopy(k + dst, src + (<usize>C << 2), cosK + tab, sinK + tab, rotaryDim, HS, interleaved, 1);
      copyTail(v + dst, src + (<usize>(2 * C) << 2), 0, HS);
    }
  }
}

export function qkvRopeBackward(
  dqkv: usize, dq: usize, dk: usize, dv: usize,
  cosQ: usize, sinQ: usize, cosK: usize, sinK: usize, posIds: usize, posBatchStride: i32,
  T: i32, NH: i32, HS: i32, rotaryDim: i32, interleaved: i32, start: i32, end: i32,
): void {
  const C = NH * HS;
  const rowTab = <usize>(rotaryDim >> 1) << 2;
  for (let r = start; r < end; r++) {
    const b = r / T, t = r % T;
    const tab = <usize>rowPosition(posIds, posBatchStride, b, t) * rowTab;
    const row = dqkv + (<usize>r * <usize>(3 * C) << 2);
    for (let h = 0; h < NH; h++) {
      const src = (<usize>((b * NH + h) * T + t) * <usize>HS) << 2;
      const dst = row + (<usize>(h * HS) << 2);
      rotateOrCopy(dst, dq + src, cosQ + tab, sinQ + tab, rotaryDim, HS, interleaved, -1);
      rotateOrCopy(dst + (<usize>C << 2), dk + src, cosK + tab, sinK + tab, rotaryDim, HS, interleaved, -1);
      copyTail(dst + (<usize>(2 * C) << 2), dv + src, 0, HS);
    }
  }
}
