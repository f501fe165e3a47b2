// LayerNorm over the last dimension C of N = B·T rows (float32, f32x4). See layernorm.ts for the
// shapes and the accumulate rule. Row sums use 4 lane accumulators plus a scalar tail, combined in a
// fixed order, so a row's result never depends on how the rows are split between threads.

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Rows [start, end): out = (x − mean)·rstd·weight + bias; saves mean and rstd = 1/√(var + eps) per row. */
export function layerNormForward(
  out: usize, mean: usize, rstd: usize, inp: usize, weight: usize, bias: usize, C: i32, eps: f32, start: i32, end: i32,
): void {
  const rowBytes = <usize>C << 2;
  const C4 = C & ~3;
  for (let r = start; r < end; r++) {
    const x = inp + <usize>r * rowBytes;
    const o = out + <usize>r * rowBytes;
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c < C4; c += 4) acc = f32x4.add(acc, v128.load(x + (<usize>c << 2)));
    let s = hsum(acc);
    for (; c < C; c++) s += load<f32>(x + (<usize>c << 2));
    const m: f32 = s / <f32>C;
    const mv = f32x4.splat(m);
    acc = f32x4.splat(0);
    for (c = 0; c < C4; c += 4) {
      const d = f32x4.sub(v128.load(x + (<usize>c << 2)), mv);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    let q = hsum(acc);
    for (; c < C; c++) {
      const d = load<f32>(x + (<usize>c << 2)) - m;
      q += d * d;
    }
    const rs: f32 = <f32>1.0 / Mathf.sqrt(q / <f32>C + eps);
    store<f32>(mean + (<usize>r << 2), m);
    store<f32>(rstd + (<usize>r << 2), rs);
    const rv = f32x4.splat(rs);
    for (c = 0; c < C4; c += 4) {
      const off = <usize>c << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(x + off), mv), rv);
      v128.store(o + off, f32x4.add(f32x4.mul(n, v128.load(weight + off)), v128.load(bias + off)));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      const n = (load<f32>(x + off) - m) * rs;
      store<f32>(o + off, n * load<f32>(weight + off) + load<f32>(bias + off));
    }
  }
}

/**
 * Rows [start, end), input gradient only: dInp += (dnorm − mean(dnorm) − norm·mean(dnorm·norm))·rstd
 * with norm = (x − mean)·rstd and dnorm = weight·dOut (`+=`: dInp is the residual stream).
 */
export function layerNormBackwardInput(
  dInp: usize, dOut: usize, inp: usize, weight: usize, mean: usize, rstd: usize, C: i32, start: i32, end: i32,
): void {
  const rowBytes = <usize>C << 2;
  const C4 = C & ~3;
  for (let r = start; r < end; r++) {
    const x = inp + <usize>r * rowBytes;
    const dy = dOut + <usize>r * rowBytes;
    const dx = dInp + <usize>r * rowBytes;
    const m = load<f32>(mean + (<usize>r << 2));
    const rs = load<f32>(rstd + (<usize>r << 2));
    const mv = f32x4.splat(m);
    const rv = f32x4.splat(rs);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let c = 0;
    for (; c < C4; c += 4) {
      const off = <usize>c << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(x + off), mv), rv);
      const dn = f32x4.mul(v128.load(weight + off), v128.load(dy + off));
      a1 = f32x4.add(a1, dn);
      a2 = f32x4.add(a2, f32x4.mul(dn, n));
    }
    let s1 = hsum(a1);
    let s2 = hsum(a2);
    for (; c < C; c++) {
      const off = <usize>c << 2;
      const n = (load<f32>(x + off) - m) * rs;
      const dn = load<f32>(weight + off) * load<f32>(dy + off);
      s1 += dn;
      s2 += dn * n;
    }
    const k1: f32 = s1 / <f32>C;
    const k2: f32 = s2 / <f32>C;
    const k1v = f32x4.splat(k1);
    const k2v = f32x4.splat(k2);
    for (c = 0; c < C4; c += 4) {
      const off = <usize>c << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(x + off), mv), rv);
      const dn = f32x4.mul(v128.load(weight + off), v128.load(dy + off));
      const g = f32x4.mul(f32x4.sub(f32x4.sub(dn, k1v), f32x4.mul(n, k2v)), rv);
      v128.store(dx + off, f32x4.add(v128.load(dx + off), g));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      const n = (load<f32>(x + off) - m) * rs;
      const dn = load<f32>(weight + off) * load<f32>(dy + off);
      store<f32>(dx + off, load<f32>(dx + off) + ((dn - k1) - n * k2) * rs);
    }
  }
}

/**
 * Channels [start, end), parameter gradients: dWeight[c] += Σ_r norm[r,c]·dOut[r,c],
 * dBias[c] += Σ_r dOut[r,c] (rows summed in order 0…N−1 into a register, then added once).
 * Split over channels so threads never write the same dWeight/dBias element.
 */
export function layerNormBackwardParams(
  dWeight: usize, dBias: usize, dOut: usize, inp: usize, mean: usize, rstd: usize, N: i32, C: i32, start: i32, end: i32,
): void {
  const rowBytes = <usize>C << 2;
  let c = start;
  for (; c + 8 <= end; c += 8) {
    const off = <usize>c << 2;
    let w0 = f32x4.splat(0), w1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
    for (let r = 0; r < N; r++) {
      const base = <usize>r * rowBytes + off;
      const mv = f32x4.splat(load<f32>(mean + (<usize>r << 2)));
      const rv = f32x4.splat(load<f32>(rstd + (<usize>r << 2)));
      const d0 = v128.load(dOut + base);
      const d1 = v128.load(dOut + base + 16);
      w0 = f32x4.add(w0, f32x4.mul(f32x4.mul(f32x4.sub(v128.load(inp + base), mv), rv), d0));
      w1 = f32x4.add(w1, f32x4.mul(f32x4.mul(f32x4.sub(v128.load(inp + base + 16), mv), rv), d1));
      b0 = f32x4.add(b0, d0);
      b1 = f32x4.add(b1, d1);
    }
    v128.store(dWeight + off, f32x4.add(v128.load(dWeight + off), w0));
    v128.store(dWeight + off + 16, f32x4.add(v128.load(dWeight + off + 16), w1));
    v128.store(dBias + off, f32x4.add(v128.load(dBias + off), b0));
    v128.store(dBias + off + 16, f32x4.add(v128.load(dBias + off + 16), b1));
  }
  for (; c < end; c++) {
    const off = <usize>c << 2;
    let w: f32 = 0, b: f32 = 0;
    for (let r = 0; r < N; r++) {
      const base = <usize>r * rowBytes + off;
      const d = load<f32>(dOut + base);
      w += (load<f32>(inp + base) - load<f32>(mean + (<usize>r << 2))) * load<f32>(rstd + (<usize>r << 2)) * d;
      b += d;
    }
    store<f32>(dWeight + off, load<f32>(dWeight + off) + w);
    store<f32>(dBias + off, load<f32>(dBias + off) + b);
  }
}
