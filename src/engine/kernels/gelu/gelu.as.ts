// GELU, tanh approximation (PyTorch `F.gelu(x, approximate="tanh")`), element-wise over [start, end):
//   gelu(x) = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³)
// computed through the identity ½(1 + tanh u) = sigmoid(2u) = 1/(1 + e^{−2u}), which is exact
// algebra and avoids the cancellation of 1 + tanh u for x ≪ 0. See gelu.ts for the accumulate rule.
import { expf4 } from "../mathf4/mathf4.as";

// @ts-ignore: decorator
@inline const TWO_BETA: f32 = 1.5957691216057308; // 2·√(2/π)
// @ts-ignore: decorator
@inline const KAPPA: f32 = 0.044715;
// @ts-ignore: decorator
@inline const KAPPA3: f32 = 0.134145; // 3·0.044715

/** s = sigmoid(2u) for x. */
// @ts-ignore: decorator
@inline
function gateS(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const t = f32x4.mul(f32x4.splat(TWO_BETA), f32x4.add(x, f32x4.mul(f32x4.splat(KAPPA), x3)));
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), expf4(f32x4.neg(t))));
}

// @ts-ignore: decorator
@inline
function geluVec(x: v128): v128 {
  return f32x4.mul(x, gateS(x));
}

/** d gelu / dx = s + 2·x·s·(1 − s)·√(2/π)·(1 + 3·0.044715·x²) with s = sigmoid(2u) (= ½(1+tanh u)). */
// @ts-ignore: decorator
@inline
function geluGradVec(x: v128): v128 {
  const s = gateS(x);
  const inner = f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.splat(KAPPA3), f32x4.mul(x, x)));
  const ds = f32x4.mul(f32x4.mul(f32x4.mul(x, s), f32x4.sub(f32x4.splat(1.0), s)), f32x4.mul(f32x4.splat(TWO_BETA), inner));
  return f32x4.add(s, ds);
}

/** out[i] = gelu(inp[i]) over [start, end); out may alias inp. */
export function geluForward(out: usize, inp: usize, start: i32, end: i32): void {
  let i = start;
  // two independent vectors per iteration: the exp polynomial is a long dependency chain (~30% faster)
  for (; i + 8 <= end; i += 8) {
    const off = <usize>i << 2;
    const a = geluVec(v128.load(inp + off));
    const b = geluVec(v128.load(inp + off + 16));
    v128.store(out + off, a);
    v128.store(out + off + 16, b);
  }
  for (; i + 4 <= end; i += 4) {
    const off = <usize>i << 2;
    v128.store(out + off, geluVec(v128.load(inp + off)));
  }
  for (; i < end; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, f32x4.extract_lane(geluVec(f32x4.splat(load<f32>(inp + off))), 0));
  }
}

/** dInp[i] = dOut[i]·gelu'(inp[i]) over [start, end) (`=`); dInp may alias dOut. */
export function geluBackward(dInp: usize, dOut: usize, inp: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const off = <usize>i << 2;
    const a = f32x4.mul(v128.load(dOut + off), geluGradVec(v128.load(inp + off)));
    const b = f32x4.mul(v128.load(dOut + off + 16), geluGradVec(v128.load(inp + off + 16)));
    v128.store(dInp + off, a);
    v128.store(dInp + off + 16, b);
  }
  for (; i + 4 <= end; i += 4) {
    const off = <usize>i << 2;
    v128.store(dInp + off, f32x4.mul(v128.load(dOut + off), geluGradVec(v128.load(inp + off))));
  }
  for (; i < end; i++) {
    const off = <usize>i << 2;
    store<f32>(dInp + off, load<f32>(dOut + off) * f32x4.extract_lane(geluGradVec(f32x4.splat(load<f32>(inp + off))), 0));
  }
}
