// matvecRows: y[r, o] = bias[o] + Σ_i x[r, i]·W[o, i] for the few rows of a decoding step (R ≤ ~16),
// W in PyTorch layout [OUT, IN] (so every output is a dot product of two contiguous rows), over the
// outputs o in [start, end). Four W rows are read once per row block and kept in L1 while every x row
// is dotted with them, two x rows at a time (each W vector loaded once for both: 8 accumulators) —
// a decoding step streams each weight once per step, whatever the batch.
// Summation order (fixed for every output, whatever the split): 4 lanes over i ≡ 0…3 (mod 4), lanes
// reduced as (l0 + l2) + (l1 + l3), then the IN mod 4 tail in order, then the bias. Conventions in matvec.ts.

// Lane c of the result = the lanes of a_c reduced as (l0 + l2) + (l1 + l3).
// a·b + c: one fused multiply-add in the FMA build (asc --enable relaxed-simd, picked at run time by
// wasm.ts where relaxed_madd is fused), mul + add otherwise.
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline
function reduce4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const t01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const t23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t01, t23, 0, 1, 4, 5), v128.shuffle<f32>(t01, t23, 2, 3, 6, 7));
}

// @ts-ignore: decorator
@inline
function dot1(x: usize, w: usize, n: i32): f32 {
  let a = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) a = madd(v128.load(x + (<usize>d << 2)), v128.load(w + (<usize>d << 2)), a);
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
  for (; d < n; d++) r += load<f32>(x + (<usize>d << 2)) * load<f32>(w + (<usize>d << 2));
  return r;
}

// One row's tail (IN mod 4 inputs, in order) onto its reduced lanes, then the bias, stored at y.
// @ts-ignore: decorator
@inline
function finish(s: v128, xr: usize, w0: usize, w1: usize, w2: usize, w3: usize, d0: i32, IN: i32, b: v128, y: usize): void {
  for (let d = d0; d < IN; d++) {
    const off = <usize>d << 2;
    const xs = load<f32>(xr + off);
    s = f32x4.add(s, f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(xs * load<f32>(w0 + off)), 1, xs * load<f32>(w1 + off)), 2, xs * load<f32>(w2 + off)), 3, xs * load<f32>(w3 + off)));
  }
  v128.store(y, f32x4.add(s, b));
}

export function matvecRows(y: usize, x: usize, w: usize, bias: usize, R: i32, IN: i32, OUT: i32, start: i32, end: i32): void {
  const rowBytes = <usize>IN << 2, outBytes = <usize>OUT << 2, IN4 = IN & ~3;
  let o = start;
  for (; o + 4 <= end; o += 4) {
    const w0 = w + <usize>o * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
    const b = bias == 0 ? f32x4.splat(0) : v128.load(bias + (<usize>o << 2));
    const yo = y + (<usize>o << 2);
    let r = 0;
    // two rows at a time: each W vector loaded once for both (8 accumulators); every row's lanes
    // see the same operations in the same order as one row alone
    for (; r + 2 <= R; r += 2) {
      const xr = x + <usize>r * rowBytes, xq = xr + rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      for (let d = 0; d < IN4; d += 4) {
        const off = <usize>d << 2;
        const xv = v128.load(xr + off), xw = v128.load(xq + off);
        const v0 = v128.load(w0 + off), v1 = v128.load(w1 + off), v2 = v128.load(w2 + off), v3 = v128.load(w3 + off);
        a0 = madd(xv, v0, a0);
        c0 = madd(xw, v0, c0);
        a1 = madd(xv, v1, a1);
        c1 = madd(xw, v1, c1);
        a2 = madd(xv, v2, a2);
        c2 = madd(xw, v2, c2);
        a3 = madd(xv, v3, a3);
        c3 = madd(xw, v3, c3);
      }
      finish(reduce4(a0, a1, a2, a3), xr, w0, w1, w2, w3, IN4, IN, b, yo + <usize>r * outBytes);
      finish(reduce4(c0, c1, c2, c3), xq, w0, w1, w2, w3, IN4, IN, b, yo + <usize>(r + 1) * outBytes);
    }
    for (; r < R; r++) {
      const xr = x + <usize>r * rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let d = 0; d < IN4; d += 4) {
        const off = <usize>d << 2;
        const xv = v128.load(xr + off);
        a0 = madd(xv, v128.load(w0 + off), a0);
        a1 = madd(xv, v128.load(w1 + off), a1);
        a2 = madd(xv, v128.load(w2 + off), a2);
        a3 = madd(xv, v128.load(w3 + off), a3);
      }
      finish(reduce4(a0, a1, a2, a3), xr, w0, w1, w2, w3, IN4, IN, b, yo + <usize>r * outBytes);
    }
  }
  for (; o < end; o++) {
    const wo = w + <usize>o * rowBytes;
    const b: f32 = bias == 0 ? 0 : load<f32>(bias + (<usize>o << 2));
    for (let r = 0; r < R; r++) store<f32>(y + ((<usize>r * <usize>OUT + <usize>o) << 2), dot1(x + <usize>r * rowBytes, wo, IN) + b);
  }
}
