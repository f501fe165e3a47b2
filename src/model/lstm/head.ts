/**
 * The output head (a linear layer [V, H] + bias, not tied to the embedding, as the seed's `fc`) fused
 * with the cross-entropy over the flattened logits — the proper loss the seed's `criterion(output, data)`
 * was meant to be: logits [N, V] against the next-token targets [N], mean over non-ignored targets.
 *
 * Runs over R rows at a time through one logits chunk [R, V] (see workspace.ts): per chunk
 *   logits = h·headᵀ + bias;  losses[r] = logsumexp(logits[r]) − logits[r, target]   (softmax in place)
 * and, when training, immediately
 *   dLogits = (softmax − onehot)·scale (in place);  dH = dLogits·head (`=`);  dHead += dLogitsᵀ·h;  dBias += Σ dLogits
 * so the whole [N, V] logits never exist at once.
 *
 * Example:
 *   const { sum, count } = headLossForward(engine, bufs, N, H, V, R, { dH, dWeight, dBias, scale: 1 / count });
 */
import type { Engine } from "../../engine/engine.js";
import { crossEntropySoftmaxBackward, crossEntropySoftmaxForward } from "../../engine/kernels/crossentropy/crossentropy.js";
import { linearBackward, linearForward } from "../../engine/kernels/matmul/matmul.js";

export interface HeadBuffers {
  /** Top layer's hidden states [N, H]. */
  h: number;
  /** Logits chunk [R, V] (scratch; holds probabilities / their gradient after each chunk). */
  logits: number;
  /** Per-token losses [N] (written; rows with target −1 hold no meaning). */
  losses: number;
  /** Targets [N] int32 (−1 = ignored). */
  targets: number;
  weight: number;
  bias: number;
}

export interface HeadBackward {
  /** ∂L/∂h [N, H] (written, `=`). */
  dH: number;
  /** Gradients of head.weight [V, H] and head.bias [V] (`+=`). */
  dWeight: number;
  dBias: number;
  /** ∂L/∂loss_r for every counted row (gradScale / count for a mean loss). */
  scale: number;
}

const F32 = 4;

/** Head + cross-entropy over N rows in chunks of R (and their backward when `backward` is given). */
export function headLossForward(
  engine: Engine, buf: HeadBuffers, N: number, H: number, V: number, R: number, backward?: HeadBackward,
): { sum: number; count: number } {
  let sum = 0, count = 0;
  const weight = { ptr: buf.weight, shape: [V, H] }, bias = { ptr: buf.bias, shape: [V] };
  for (let r0 = 0; r0 < N; r0 += R) {
    const rows = Math.min(R, N - r0);
    const h = { ptr: buf.h + r0 * H * F32, shape: [rows, H] };
    const logits = { ptr: buf.logits, shape: [rows, V] };
    linearForward(engine, logits, h, weight, bias);
    const s = crossEntropySoftmaxForward(engine, buf.losses + r0 * F32, buf.logits, buf.logits, buf.targets + r0 * F32, rows, V);
    sum += s.sum;
    count += s.count;
    if (backward !== undefined) {
      crossEntropySoftmaxBackward(engine, buf.logits, buf.logits, buf.targets + r0 * F32, rows, V, backward.scale);
      const dH = { ptr: backward.dH + r0 * H * F32, shape: [rows, H] };
      linearBackward(engine, dH, { ptr: backward.dWeight, shape: [V, H] }, { ptr: backward.dBias, shape: [V] }, logits, h, weight);
    }
  }
  return { sum, count };
}

/** Logits [V] of one row of h (decoding: the last token), left in the first row of the logits chunk. */
export function headRowForward(engine: Engine, buf: Pick<HeadBuffers, "logits" | "weight" | "bias">, hRow: number, H: number, V: number): void {
  linearForward(engine, { ptr: buf.logits, shape: [1, V] }, { ptr: hRow, shape: [1, H] }, { ptr: buf.weight, shape: [V, H] }, { ptr: buf.bias, shape: [V] });
}
