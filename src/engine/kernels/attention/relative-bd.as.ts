// Transformer-XL's position term (BD) of one batch row, SIMD over the head dimension. See relative-bd.ts.
// Layouts: x, acc [NH, K, HS] (x = queries, zero on memory rows); r, dr [NH, D+1, HS]; vb [NH, HS];
// bias, dBias [NH, K, K]. Distance of (i, j): min(i − j, D).

/** Σ_c a[c]·b[c] over HS floats (f32x4 lanes, then the tail). */
@inline function dot(a: usize, b: usize, HS: i32): f32 {
  let acc = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= HS; c += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>c << 2)), v128.load(b + (<usize>c << 2))));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; c < HS; c++) s += load<f32>(a + (<usize>c << 2)) * load<f32>(b + (<usize>c << 2));
  return s;
}

/** out[c] += w·a[c] over HS floats. */
@inline function axpy(out: usize, w: f32, a: usize, HS: i32): void {
  const wv = f32x4.splat(w);
  let c = 0;
  for (; c + 4 <= HS; c += 4) {
    const o = out + (<usize>c << 2);
    v128.store(o, f32x4.add(v128.load(o), f32x4.mul(wv, v128.load(a + (<usize>c << 2)))));
  }
  for (; c < HS; c++) {
    const o = out + (<usize>c << 2);
    store<f32>(o, load<f32>(o) + w * load<f32>(a + (<usize>c << 2)));
  }
}

/**
 * bias[h][i][j] = scale·(x[h][i]·r[h][min(i − j, D)] + vb[h]·r[h][min(i − j, D)]) for j ≤ i (entries j > i
 * untouched: masked). Rows (h, i) in [start, end) of NH·K.
 */
export function relativeBdForward(bias: usize, x: usize, r: usize, vb: usize, K: i32, NH: i32, HS: i32, D: i32, scale: f32, start: i32, end: i32): void {
  const hb = <usize>HS << 2;
  for (let row = start; row < end; row++) {
    const h = row / K, i = row % K;
    const xr = x + <usize>row * hb, vr = vb + <usize>h * hb;
    const out = bias + (<usize>row * <usize>K << 2), rh = r + <usize>h * <usize>(D + 1) * hb;
    for (let j = 0; j <= i; j++) {
      const rr = rh + <usize>min(i - j, D) * hb;
      store<f32>(out + (<usize>j << 2), scale * (dot(xr, rr, HS) + dot(vr, rr, HS)));
    }
  }
}

/** acc[h][i] = Σ_{j ≤ i} scale·dBias[h][i][j]·r[h][min(i − j, D)] (`=`), rows (h, i) in [start, end) of NH·K. */
export function relativeBdBackwardQuery(acc: usize, dBias: usize, r: usize, K: i32, NH: i32, HS: i32, D: i32, scale: f32, start: i32, end: i32): void {
  const hb = <usize>HS << 2;
  for (let row = start; row < end; row++) {
    const h = row / K, i = row % K;
    const out = acc + <usize>row * hb, g = dBias + (<usize>row * <usize>K << 2), rh = r + <usize>h * <usize>(D + 1) * hb;
    memory.fill(out, 0, hb);
    for (let j = 0; j <= i; j++) {
      const w = scale * load<f32>(g + (<usize>j << 2));
      if (w != 0) axpy(out, w, rh + <usize>min(i - j, D) * hb, HS);
    }
  }
}

/**
 * dr[h][d] = Σ over query rows i ≥ M and keys j ≤ i with min(i − j, D) = d of scale·dBias[h][i][j]·(x[h][i] + vb[h])
 * (`=`), rows (h, d) in [start, end) of NH·(D+1): each output row summed by one call, so no two threads write
 * the same row and the order is fixed.
 */
export function relativeBdBackwardR(dr: usize, dBias: usize, x: usize, vb: usize, K: i32, M: i32, NH: i32, HS: i32, D: i32, scale: f32, start: i32, end: i32): void {
  const hb = <usize>HS << 2;
  for (let row = start; row < end; row++) {
    const h = row / (D + 1), d = row % (D + 1);
    const out = dr + <usize>row * hb, vr = vb + <usize>h * hb;
    memory.fill(out, 0, hb);
    let wsum: f32 = 0; // Σ of the weights: the vb part of x + vb, added once at the end
    for (let i = max(M, d); i < K; i++) {
      const g = dBias + (<usize>(h * K + i) * <usize>K << 2), xr = x + <usize>(h * K + i) * hb;
      if (d < D) { // exactly one key: j = i − d
        const w = scale * load<f32>(g + (<usize>(i - d) << 2));
        if (w != 0) { axpy(out, w, xr, HS); wsum += w; }
      } else { // every key j ≤ i − D shares the clamped row D
        let w: f32 = 0;
        for (let j = 0; j <= i - D; j++) w += load<f32>(g + (<usize>j << 2));
        w *= scale;
        if (w != 0) { axpy(out, w, xr, HS); wsum += w; }
      }
    }
    if (wsum != 0) axpy(out, wsum, vr, HS);
  }
}
