// RMSNorm over the last dimension C of N = B·T rows (float32, f32x4): out = x·rstd·weight with
// rstd = 1/√(mean(x²) + eps), no bias. See rmsnorm.ts for the shapes and the accumulate rule.

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Rows [start, end): out = x·rstd·weight; saves rstd per row. */
export function rmsNormForward(out: usize, rstd: usize, inp: usize, weight: usize, C: i32, eps: f32, start: i32, end: i32): void {
  const rowBytes = <usize>C << 2;
  const C4 = C & ~3;
  for (let r = start; r < end; r++) {
    const x = inp + <usize>r * rowBytes;
    const o = out + <usize>r * rowBytes;
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c < C4; c += 4) {
      const v = v128.load(x + (<usize>c << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let q = hsum(acc);
    for (; c < C; c++) {
      const v = load<f32>(x + (<usize>c << 2));
      q += v * v;
    }
    const rs: f32 = <f32>1.0 / Mathf.sqrt(q / <f32>C + eps);
    store<f32>(rstd + (<usize>r << 2), rs);
    const rv = f32x4.splat(rs);
    for (c = 0; c < C4; c += 4) {
      const off = <usize>c << 2;
      v128.store(o + off, f32x4.mul(f32x4.mul(v128.load(x + off), rv), v128.load(weight + off)));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      store<f32>(o + off, load<f32>(x + off) * rs * load<f32>(weight + off));
    }
  }
}

/** Rows [start, end): dInp += (dnorm − norm·mean(dnorm·norm))·rstd, norm = x·rstd, dnorm = weight·dOut (`+=`, residual stream). */
export function rmsNormBackwardInput(dInp: usize, dOut: usize, inp: usize, weight: usize, rstd: usize, C: i32, start: i32, end: i32): void {
  const rowBytes = <usize>C << 2;
  const C4 = C & ~3;
  for (let r = start; r < end; r++) {
    const x = inp + <usize>r * rowBytes;
    const dy = dOut + <usize>r * rowBytes;
    const dx = dInp + <usize>r * rowBytes;
    const rs = load<f32>(rstd + (<usize>r << 2));
    const rv = f32x4.splat(rs);
    let a = f32x4.splat(0);
    let c = 0;
    for (; c < C4; c += 4) {
      const off = <usize>c << 2;
      const n = f32x4.mul(v128.load(x + off), rv);
      a = f32x4.add(a, f32x4.mul(f32x4.mul(v128.load(weight + off), v128.load(dy + off)), n));
    }
    let s = hsum(a);
    for (; c < C; c++) {
      const off = <usize>c << 2;
      s += load<f32>(weight + off) * load<f32>(dy + off) * (load<f32>(x + off) * rs);
    }
    const k: f32 = s / <f32>C;
    const kv = f32x4.splat(k);
    for (c = 0; c < C4; c += 4) {
      const off = <usize>c << 2;
      const n = f32x4.mul(v128.load(x + off), rv);
      const dn = f32x4.mul(v128.load(weight + off), v128.load(dy + off));
      v128.store(dx + off, f32x4.add(v128.load(dx + off), f32x4.mul(f32x4.sub(dn, f32x4.mul(n, kv)), rv)));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      const n = load<f32>(x + off) * rs;
      const dn = load<f32>(weight + off) * load<f32>(dy + off);
      store<f32>(dx + off, load<f32>(dx + off) + (dn - n * k) * rs);
    }
  }
}

/** Channels [start, end): dWeight[c] += Σ_r x[r,c]·rstd[r]·dOut[r,c] (rows in order, one register per channel). */
export function rmsNormBackwardParams(dWeight: usize, dOut: usize, inp: usize, rstd: usize, N: i32, C: i32, start: i32, end: i32): void {
  const rowBytes = <usize>C << 2;
  let c = start;
  for (; c + 8 <= end; c += 8) {
    const off = <usize>c << 2;
    let w0 = f32x4.splat(0), w1 = f32x4.splat(0);
    for (let r = 0; r < N; r++) {
      const base = <usize>r * rowBytes + off;
      const rv = f32x4.splat(load<f32>(rstd + (<usize>r << 2)));
      w0 = f32x4.add(w0, f32x4.mul(f32x4.mul(v128.load(inp + base), rv), v128.load(dOut + base)));
      w1 = f32x4.add(w1, f32x4.mul(f32x4.mul(v128.load(inp + base + 16), rv), v128.load(dOut + base + 16)));
    }
    v128.store(dWeight + off, f32x4.add(v128.load(dWeight + off), w0));
    v128.store(dWeight + off + 16, f32x4.add(v128.load(dWeight + off + 16), w1));
  }
  for (; c < end; c++) {
    const off = <usize>c << 2;
    let w: f32 = 0;
    for (let r = 0; r < N; r++) {
      const base = <usize>r * rowBytes + off;
      w += load<f32>(inp + base) * load<f32>(rstd + (<usize>r << 2)) * load<f32>(dOut + base);
    }
    store<f32>(dWeight + off, load<f32>(dWeight + off) + w);
  }
}
