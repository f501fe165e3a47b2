// Cross-entropy fused with softmax over logits [N, V] and int32 targets [N] (−1 = ignore).
// See crossentropy.ts for the shapes, the scale convention and aliasing.
import { rowMax, expShiftSum, scaleRow } from "../softmax/softmax.as";

/**
 * Rows [start, end): probs = softmax(logits) (probs may alias logits, overwriting them);
 * losses[r] = logsumexp(logits[r]) − logits[r, t] (in float64, stored as float32), or 0 when t = −1.
 */
export function crossEntropySoftmaxForward(losses: usize, probs: usize, logits: usize, targets: usize, V: i32, start: i32, end: i32): void {
  const rowBytes = <usize>V << 2;
  for (let r = start; r < end; r++) {
    const x = logits + <usize>r * rowBytes;
    const y = probs + <usize>r * rowBytes;
    const t = load<i32>(targets + (<usize>r << 2));
    const xt: f32 = t >= 0 ? load<f32>(x + (<usize>t << 2)) : 0; // read before an in-place overwrite
    const m = rowMax(x, V);
    const s = expShiftSum(y, x, m, V);
    scaleRow(y, <f32>1.0 / s, V);
    const loss: f64 = t >= 0 ? Math.log(<f64>s) + <f64>m - <f64>xt : 0.0;
    store<f32>(losses + (<usize>r << 2), <f32>loss);
  }
}

/**
 * Rows [start, end): dLogits[r, i] = (probs[r, i] − [i = t])·dlossScale (`=`); all zeros when t = −1.
 * dLogits may alias probs.
 */
export function crossEntropySoftmaxBackward(dLogits: usize, probs: usize, targets: usize, dlossScale: f32, V: i32, start: i32, end: i32): void {
  const rowBytes = <usize>V << 2;
  const V4 = V & ~3;
  const kv = f32x4.splat(dlossScale);
  for (let r = start; r < end; r++) {
    const y = probs + <usize>r * rowBytes;
    const d = dLogits + <usize>r * rowBytes;
    const t = load<i32>(targets + (<usize>r << 2));
    if (t < 0) {
      memory.fill(d, 0, rowBytes);
      continue;
    }
    const pt = load<f32>(y + (<usize>t << 2)); // read before an in-place overwrite
    let i = 0;
    for (; i < V4; i += 4) {
      const off = <usize>i << 2;
      v128.store(d + off, f32x4.mul(v128.load(y + off), kv));
    }
    for (; i < V; i++) {
      const off = <usize>i << 2;
      store<f32>(d + off, load<f32>(y + off) * dlossScale);
    }
    store<f32>(d + (<usize>t << 2), (pt - <f32>1.0) * dlossScale);
  }
}
