// Residual stream: out = a + b (forward) and dst += src (backward accumulation into the residual
// gradient), element-wise over [start, end). See residual.ts.

/** out[i] = a[i] + b[i]; out may alias a or b. */
export function residualForward(out: usize, a: usize, b: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** dInp[i] += dOut[i] (the gradient of out = inp + … flowing into one addend). */
export function residualBackward(dInp: usize, dOut: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(dInp + o, f32x4.add(v128.load(dInp + o), v128.load(dOut + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(dInp + o, load<f32>(dInp + o) + load<f32>(dOut + o));
  }
}
