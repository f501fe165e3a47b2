// Bias add over the last dimension: out[r, c] += bias[c] (forward, parallel over rows) and
// dBias[c] += Σ_r dOut[r, c] (backward, parallel over channels so that no two ranges write the
// same element). See bias.ts for shapes and the accumulate rule.

/** Rows [start, end): out[r, :] += bias (in place on the matmul output). */
export function biasAddForward(out: usize, bias: usize, C: i32, start: i32, end: i32): void {
  const rowBytes = <usize>C << 2;
  const C4 = C & ~3;
  for (let r = start; r < end; r++) {
    const o = out + <usize>r * rowBytes;
    let c = 0;
    for (; c < C4; c += 4) {
      const off = <usize>c << 2;
      v128.store(o + off, f32x4.add(v128.load(o + off), v128.load(bias + off)));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      store<f32>(o + off, load<f32>(o + off) + load<f32>(bias + off));
    }
  }
}

/** Channels [start, end): dBias[c] += Σ_{r<N} dOut[r, c], rows summed in order in a register. */
export function biasAddBackward(dBias: usize, dOut: usize, N: i32, C: i32, start: i32, end: i32): void {
  const rowBytes = <usize>C << 2;
  let c = start;
  for (; c + 16 <= end; c += 16) {
    const off = <usize>c << 2;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let r = 0; r < N; r++) {
      const p = dOut + <usize>r * rowBytes + off;
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p + 16));
      a2 = f32x4.add(a2, v128.load(p + 32));
      a3 = f32x4.add(a3, v128.load(p + 48));
    }
    v128.store(dBias + off, f32x4.add(v128.load(dBias + off), a0));
    v128.store(dBias + off + 16, f32x4.add(v128.load(dBias + off + 16), a1));
    v128.store(dBias + off + 32, f32x4.add(v128.load(dBias + off + 32), a2));
    v128.store(dBias + off + 48, f32x4.add(v128.load(dBias + off + 48), a3));
  }
  for (; c < end; c++) {
    const off = <usize>c << 2;
    let a: f32 = 0;
    for (let r = 0; r < N; r++) a += load<f32>(dOut + <usize>r * rowBytes + off);
    store<f32>(dBias + off, load<f32>(dBias + off) + a);
  }
}
