// AdamW step over a flat parameter array, global gradient-norm partial sums, and in-place scaling.
// Element-wise over [start, end) (the norm kernel over chunk indices). See adamw.ts for the exact
// PyTorch formulas these follow.

/**
 * Elements [start, end), PyTorch `_single_tensor_adamw` order, all in float32:
 *   g = grad·gradScale;  p *= decayFactor (where decayMask[i] ≠ 0, or everywhere when decayMask = 0)
 *   m = m·beta1 + g·(1 − beta1);  v = v·beta2 + ((1 − beta2)·g)·g
 *   p += −stepSize·m / (√v / bc2Sqrt + eps)
 * decayFactor = 1 − lr·wd, stepSize = lr/(1 − beta1^t), bc2Sqrt = √(1 − beta2^t) (from the glue).
 */
export function adamwStep(
  param: usize, m: usize, v: usize, grad: usize, decayMask: usize,
  gradScale: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  eps: f32, decayFactor: f32, stepSize: f32, bc2Sqrt: f32, start: i32, end: i32,
): void {
  const gs = f32x4.splat(gradScale), b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusBeta2), ev = f32x4.splat(eps);
  const dfv = f32x4.splat(decayFactor), ssv = f32x4.splat(stepSize), bcv = f32x4.splat(bc2Sqrt), one = f32x4.splat(1);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const g = f32x4.mul(v128.load(grad + o), gs);
    let df = dfv;
    if (decayMask != 0) {
      const mb = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(decayMask + <usize>i)));
      df = v128.bitselect(one, dfv, i32x4.eq(mb, i32x4.splat(0)));
    }
    const p = f32x4.mul(v128.load(param + o), df);
    const mm = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(g, c1));
    const vv = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(c2, g), g));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), bcv), ev);
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    v128.store(param + o, f32x4.sub(p, f32x4.div(f32x4.mul(ssv, mm), denom)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grad + o) * gradScale;
    const df: f32 = decayMask != 0 && load<u8>(decayMask + <usize>i) == 0 ? 1 : decayFactor;
    const p = load<f32>(param + o) * df;
    const mm = load<f32>(m + o) * beta1 + g * oneMinusBeta1;
    const vv = load<f32>(v + o) * beta2 + (oneMinusBeta2 * g) * g;
    const denom = Mathf.sqrt(vv) / bc2Sqrt + eps;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(param + o, p - (stepSize * mm) / denom);
  }
}

/**
 * Chunks [start, end) of `chunk` elements of x [n]: partials[k] = Σ x² over chunk k (float64; the
 * square of a float32 is exact in float64), written as float64.
 */
export function sumSquaresPartials(partials: usize, x: usize, n: i32, chunk: i32, start: i32, end: i32): void {
  for (let k = start; k < end; k++) {
    const lo = k * chunk;
    const hi = min(n, lo + chunk);
    let a = f64x2.splat(0), b = f64x2.splat(0);
    let i = lo;
    for (; i + 4 <= hi; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const lo2 = f64x2.promote_low_f32x4(v);
      const hi2 = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      a = f64x2.add(a, f64x2.mul(lo2, lo2));
      b = f64x2.add(b, f64x2.mul(hi2, hi2));
    }
    let s: f64 = (f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1)) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1));
    for (; i < hi; i++) {
      const v = <f64>load<f32>(x + (<usize>i << 2));
      s += v * v;
    }
    store<f64>(partials + (<usize>k << 3), s);
  }
}

/** x[i] *= s over [start, end) (gradient clipping). */
export function scaleInPlace(x: usize, s: f32, start: i32, end: i32): void {
  const sv = f32x4.splat(s);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * s);
  }
}
