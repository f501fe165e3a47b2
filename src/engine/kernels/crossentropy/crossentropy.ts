/**
 * Cross-entropy fused with softmax over the vocabulary (the LM loss), forward and backward.
 *
 * Sizes: N rows (= B·T), V vocabulary.
 * Buffers: logits, probs, dLogits float32 [N, V]; targets int32 [N] with values in [0, V) or
 * IGNORE_INDEX (−1: no loss, zero gradient; PyTorch `ignore_index=-1`); losses float32 [N].
 * Aliasing: probs may alias logits (softmax in place); dLogits may alias probs (gradient in place).
 * Forward: probs = softmax(logits); losses[r] = logsumexp(logits[r]) − logits[r, t] (float64 inside,
 * stored float32); returns the float64 sum of losses and the number of counted rows.
 * Backward: dLogits = (probs − onehot(t))·dlossScale, `=` (activation gradient). For PyTorch's
 * mean reduction pass dlossScale = 1/count (= 1/(B·T) when nothing is ignored).
 * Parallel split: rows.
 *
 * Example:
 *   const { sum, count } = crossEntropySoftmaxForward(engine, losses, logits, logits, targets, B * T, V);
 *   const loss = sum / count;
 *   crossEntropySoftmaxBackward(engine, logits, logits, targets, B * T, V, 1 / count);
 */
import { workGrain } from "../../engine.js";
import type { Engine } from "../../engine.js";
import { checkBuffer, checkFiniteScalar, checkIndices, checkSize } from "../checks.js";
import {
  CROSS_ENTROPY_SOFTMAX_BACKWARD, CROSS_ENTROPY_SOFTMAX_FORWARD,
  type CrossEntropySoftmaxBackwardArgs, type CrossEntropySoftmaxForwardArgs,
} from "../names.js";

/** Target value meaning "no loss at this position" (prompt tokens of synthetic tasks, padding). */
export const IGNORE_INDEX = -1;

export interface CrossEntropySums {
  /** Σ of the per-row losses over counted rows, in float64. */
  sum: number;
  /** Rows whose target is not IGNORE_INDEX. */
  count: number;
}

function checkCommon(engine: Engine, op: string, probs: number, targets: number, N: number, V: number): void {
  checkSize(op, "N", N);
  checkSize(op, "V", V);
  checkBuffer(engine, op, "probs", probs, N * V, `[N=${N}, V=${V}]`);
  checkBuffer(engine, op, "targets", targets, N, `[N=${N}]`);
  checkIndices(engine, op, "targets", targets, N, IGNORE_INDEX, V, `[N=${N}] (V=${V}, −1 = ignore)`);
}

export function crossEntropySoftmaxForward(engine: Engine, losses: number, probs: number, logits: number, targets: number, N: number, V: number): CrossEntropySums {
  const op = "crossEntropySoftmaxForward";
  checkCommon(engine, op, probs, targets, N, V);
  checkBuffer(engine, op, "losses", losses, N, `[N=${N}]`);
  checkBuffer(engine, op, "logits", logits, N * V, `[N=${N}, V=${V}]`);
  const args: CrossEntropySoftmaxForwardArgs = [losses, probs, logits, targets, V];
  engine.parallelFor(CROSS_ENTROPY_SOFTMAX_FORWARD, N, args, workGrain(engine, 2 * V));
  const l = engine.f32(losses, N);
  const t = engine.i32(targets, N);
  let sum = 0;
  let count = 0;
  for (let r = 0; r < N; r++) {
    if (t[r] === IGNORE_INDEX) continue;
    sum += l[r]!;
    count++;
  }
  return { sum, count };
}

export function crossEntropySoftmaxBackward(engine: Engine, dLogits: number, probs: number, targets: number, N: number, V: number, dlossScale: number): void {
  const op = "crossEntropySoftmaxBackward";
  checkCommon(engine, op, probs, targets, N, V);
  checkBuffer(engine, op, "dLogits", dLogits, N * V, `[N=${N}, V=${V}]`);
  checkFiniteScalar(op, "dlossScale", dlossScale);
  const args: CrossEntropySoftmaxBackwardArgs = [dLogits, probs, targets, dlossScale, V];
  engine.parallelFor(CROSS_ENTROPY_SOFTMAX_BACKWARD, N, args, workGrain(engine, 2 * V));
}
