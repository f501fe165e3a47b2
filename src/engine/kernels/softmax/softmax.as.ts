// Softmax over the last dimension V of N rows (float32, f32x4, exp from mathf4). See softmax.ts.
import { expf4, expf1 } from "../mathf4/mathf4.as";

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline
function hmax(v: v128): f32 {
  return Mathf.max(Mathf.max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), Mathf.max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** max of row x[0..V) (NaN propagates). */
// @ts-ignore: decorator
@inline
export function rowMax(x: usize, V: i32): f32 {
  const V4 = V & ~3;
  let mv = f32x4.splat(-Infinity);
  let i = 0;
  for (; i < V4; i += 4) mv = f32x4.max(mv, v128.load(x + (<usize>i << 2)));
  let m = hmax(mv);
  for (; i < V; i++) m = Mathf.max(m, load<f32>(x + (<usize>i << 2)));
  return m;
}

/** y[i] = exp(x[i] − m) for i < V; returns Σ y (4 lane sums + tail, fixed order). y may alias x. */
// @ts-ignore: decorator
@inline
export function expShiftSum(y: usize, x: usize, m: f32, V: i32): f32 {
  const V4 = V & ~3;
  const mv = f32x4.splat(m);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i < V4; i += 4) {
    const off = <usize>i << 2;
    const e = expf4(f32x4.sub(v128.load(x + off), mv));
    v128.store(y + off, e);
    acc = f32x4.add(acc, e);
  }
  let s = hsum(acc);
  for (; i < V; i++) {
    const off = <usize>i << 2;
    const e = expf1(load<f32>(x + off) - m);
    store<f32>(y + off, e);
    s += e;
  }
  return s;
}

/** y[i] *= k for i < V. */
// @ts-ignore: decorator
@inline
export function scaleRow(y: usize, k: f32, V: i32): void {
  const V4 = V & ~3;
  const kv = f32x4.splat(k);
  let i = 0;
  for (; i < V4; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.mul(v128.load(y + off), kv));
  }
  for (; i < V; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, load<f32>(y + off) * k);
  }
}

/** Rows [start, end): out = softmax(inp) along V (max-subtracted); out may alias inp. */
export function softmaxForward(out: usize, inp: usize, V: i32, start: i32, end: i32): void {
  const rowBytes = <usize>V << 2;
  for (let r = start; r < end; r++) {
    const x = inp + <usize>r * rowBytes;
    const y = out + <usize>r * rowBytes;
    const s = expShiftSum(y, x, rowMax(x, V), V);
    scaleRow(y, <f32>1.0 / s, V);
  }
}

/** Rows [start, end): dInp = out·(dOut − Σ dOut·out) (`=`); dInp may alias dOut. */
export function softmaxBackward(dInp: usize, dOut: usize, out: usize, V: i32, start: i32, end: i32): void {
  const rowBytes = <usize>V << 2;
  const V4 = V & ~3;
  for (let r = start; r < end; r++) {
    const y = out + <usize>r * rowBytes;
    const dy = dOut + <usize>r * rowBytes;
    const dx = dInp + <usize>r * rowBytes;
    let acc = f32x4.splat(0);
    let i = 0;
    for (; i < V4; i += 4) {
      const off = <usize>i << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load(dy + off), v128.load(y + off)));
    }
    let s = hsum(acc);
    for (; i < V; i++) s += load<f32>(dy + (<usize>i << 2)) * load<f32>(y + (<usize>i << 2));
    const sv = f32x4.splat(s);
    for (i = 0; i < V4; i += 4) {
      const off = <usize>i << 2;
      v128.store(dx + off, f32x4.mul(v128.load(y + off), f32x4.sub(v128.load(dy + off), sv)));
    }
    for (; i < V; i++) {
      const off = <usize>i << 2;
      store<f32>(dx + off, load<f32>(y + off) * (load<f32>(dy + off) - s));
    }
  }
}
