// Vector (f32x4) exp, sigmoid and tanh shared by the element-wise kernels (GELU, softmax,
// cross-entropy, LSTM cell). WebAssembly SIMD has no transcendental functions, so exp is computed
// here; sigmoid and tanh are built on it.
//
// expf4 (Cephes `expf` scheme): n = nearest(x·log2 e); r = x − n·ln2 with ln2 split in two
// (C1 exact in float32, C2 the remainder) so the reduction is exact; e^r by the Cephes degree-6
// minimax polynomial on |r| ≤ ln2/2; then 2^n is applied by adding n to the exponent bits.
// Measured max error vs float64 Math.exp (mathf4.test.ts): 0.96 ulp over [−87, 88.7]; sigmoidf4
// 2.4 ulp on [−80, 40]; tanhf4 1.3 ulp on [−12, 12] (tests assert ≤ 1.5, 3 and 2).
// Special cases: x < −87.33 (result below FLT_MIN) → +0 (flushed; true value < 1.2e−38);
// x > 88.72 → +Inf; NaN → NaN.
//
// Scalars (tail elements) go through the same vector code (`expf1` = lane 0 of expf4(splat x)), so
// an element's value never depends on whether it was in a SIMD block or a tail: results are
// bit-identical for any split of a kernel's range.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const C1: f32 = 0.693359375; // ln 2, high part (exact in few bits)
// @ts-ignore: decorator
@inline const C2: f32 = -2.12194440e-4; // ln 2 − C1
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -87.33654; // ln(FLT_MIN)
// @ts-ignore: decorator
@inline const EXP_HI: f32 = 88.72283; // ln(FLT_MAX)
// @ts-ignore: decorator
@inline const ROUNDER: f32 = 12582912.0; // 1.5·2^23: u + ROUNDER = ROUNDER + nearest(u) for |u| < 2^22

// e^(x − n·ln 2) for n = nearest(x·log2 e): the Cody–Waite reduction r = x − n·C1 − n·C2 and a
// degree-7 polynomial in r (Cephes expf's) — the part expf4 and expNeg4 share; the caller scales by 2^n.
// @ts-ignore: decorator
@inline
function expMantissa4(x: v128, n: v128): v128 {
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(C1)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(C2)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  return y;
}

// @ts-ignore: decorator
@inline
export function expf4(x: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  const y = expMantissa4(x, n);
  // y·2^n: add n to the exponent field (valid for the lanes not replaced below).
  const scaled = i32x4.add(y, i32x4.shl(i32x4.trunc_sat_f32x4_s(n), 23));
  const under = f32x4.lt(x, f32x4.splat(EXP_LO));
  const over = f32x4.gt(x, f32x4.splat(EXP_HI));
  const res = v128.bitselect(f32x4.splat(0), scaled, under);
  return v128.bitselect(f32x4.splat(Infinity), res, over);
}

/** 1 / (1 + e^−x): exact form at both ends (→ 0 for x ≪ 0 without cancellation, → 1 for x ≫ 0). */
// @ts-ignore: decorator
@inline
export function sigmoidf4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), expf4(f32x4.neg(x))));
}

/**
 * tanh (Cephes `tanhf` scheme): for |x| < 0.625, x + x·z·P(z) with z = x² (degree-4 minimax
 * polynomial, no cancellation near 0); otherwise sign(x)·(1 − 2/(e^{2|x|} + 1)).
 */
// @ts-ignore: decorator
@inline
export function tanhf4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = expf4(f32x4.add(ax, ax));
  const big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  const z = f32x4.mul(ax, ax);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(ax, f32x4.mul(f32x4.mul(ax, z), p));
  const mag = v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.625)));
  // copy the sign of x (NaN stays NaN: both branches give NaN)
  return v128.or(v128.and(mag, i32x4.splat(0x7fffffff)), v128.and(x, i32x4.splat(0x80000000)));
}

// @ts-ignore: decorator
@inline
export function expf1(x: f32): f32 {
  return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline
export function sigmoidf1(x: f32): f32 {
  return f32x4.extract_lane(sigmoidf4(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline
export function tanhf1(x: f32): f32 {
  return f32x4.extract_lane(tanhf4(f32x4.splat(x)), 0);
}

// e^x for x ≤ 0 (a logit minus its row's max) or NaN: the values of expf4 — the same
// reduction, polynomial and scaling, operation for operation — in fewer instructions: nearest(x·log2 e)
// as (x·log2 e + 1.5·2^23) − 1.5·2^23, whose bits also give 2^n (its low bits hold n: bits << 23 = n << 23,
// no float → int conversion, which V8 expands to 5 instructions), and no overflow test (x ≤ 0).
// @ts-ignore: decorator
@inline
export function expNeg4(x: v128): v128 {
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUNDER));
  const n = f32x4.sub(t, f32x4.splat(ROUNDER));
  const y = expMantissa4(x, n);
  return v128.andnot(i32x4.add(y, i32x4.shl(t, 23)), f32x4.lt(x, f32x4.splat(EXP_LO)));
}

// @ts-ignore: decorator
@inline
export function expNeg1(x: f32): f32 {
  return f32x4.extract_lane(expNeg4(f32x4.splat(x)), 0);
}


// s[j] = exp(s[j] − m) in place for j < n (4 lanes, then the tail) and their sum: lanes accumulated
// separately, reduced (l0 + l2) + (l1 + l3), then the tail added in order — the softmax numerators
// and denominator of the decode attention kernels (decode-attention, decode-relative). m is the row's
// max, so s[j] − m ≤ 0 (or NaN) and expNeg4 gives expf4's values.
// @ts-ignore: decorator
@inline
export function expShiftSum(s: usize, n: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let zv = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const e = expNeg4(f32x4.sub(v128.load(s + (<usize>j << 2)), mv));
    v128.store(s + (<usize>j << 2), e);
    zv = f32x4.add(zv, e);
  }
  const zh = f32x4.add(zv, v128.shuffle<f32>(zv, zv, 2, 3, 0, 1));
  let z = f32x4.extract_lane(zh, 0) + f32x4.extract_lane(zh, 1);
  for (; j < n; j++) {
    const e = expNeg1(load<f32>(s + (<usize>j << 2)) - m);
    store<f32>(s + (<usize>j << 2), e);
    z += e;
  }
  return z;
}

/** Test kernels: out[i] = f(inp[i]) over [start, end), f = exp | sigmoid | tanh (mathf4.test.ts). */
export function expf4Map(out: usize, inp: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), expf4(v128.load(inp + (<usize>i << 2))));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), expf1(load<f32>(inp + (<usize>i << 2))));
}

export function sigmoidf4Map(out: usize, inp: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), sigmoidf4(v128.load(inp + (<usize>i << 2))));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), sigmoidf1(load<f32>(inp + (<usize>i << 2))));
}

export function tanhf4Map(out: usize, inp: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), tanhf4(v128.load(inp + (<usize>i << 2))));
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), tanhf1(load<f32>(inp + (<usize>i << 2))));
}
