/** Float64 reference of the fused softmax + cross-entropy (used only by tests). */
import { softmaxForwardRef } from "../softmax/softmax.ref.js";

/** Per-row loss logsumexp(x_r) − x_r[t_r] (0 where t_r = −1) and the probabilities. */
export function crossEntropySoftmaxForwardRef(logits: ArrayLike<number>, targets: ArrayLike<number>, N: number, V: number): { losses: Float64Array; probs: Float64Array } {
  const probs = softmaxForwardRef(logits, N, V);
  const losses = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    let m = -Infinity;
    for (let i = 0; i < V; i++) m = Math.max(m, logits[r * V + i]!);
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(logits[r * V + i]! - m);
    losses[r] = m + Math.log(s) - logits[r * V + t]!;
  }
  return { losses, probs };
}

/** dLogits = (probs − onehot(t))·scale per row, zero rows where t = −1. */
export function crossEntropySoftmaxBackwardRef(probs: ArrayLike<number>, targets: ArrayLike<number>, scale: number, N: number, V: number): Float64Array {
  const d = new Float64Array(N * V);
  for (let r = 0; r < N; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    for (let i = 0; i < V; i++) d[r * V + i] = (probs[r * V + i]! - (i === t ? 1 : 0)) * scale;
  }
  return d;
}
