/**
 * Softmax over the last dimension (max-subtracted), forward and backward.
 *
 * Sizes: N rows, V entries per row (e.g. N = B·T, V vocabulary).
 * Buffers (float32): inp, out, dInp, dOut [N, V]. out may alias inp; dInp may alias dOut.
 * Accumulate rule: dInp `=` (activation gradient).
 * Parallel split: rows. exp is the mathf4 vector exp (≤ 1 ulp); exp(−Inf) = 0, so −Inf entries
 * (masks) get probability exactly 0.
 *
 * Example:
 *   softmaxForward(engine, probs, scores, N, V);
 *   softmaxBackward(engine, dScores, dProbs, probs, N, V);
 */
import type { Engine } from "../../engine.js";
import { checkBuffer, checkSize } from "../checks.js";
import { SOFTMAX_BACKWARD, SOFTMAX_FORWARD, type SoftmaxBackwardArgs, type SoftmaxForwardArgs } from "../names.js";

export function softmaxForward(engine: Engine, out: number, inp: number, N: number, V: number): void {
  const op = "softmaxForward";
  checkSize(op, "N", N);
  checkSize(op, "V", V);
  checkBuffer(engine, op, "out", out, N * V, `[N=${N}, V=${V}]`);
  checkBuffer(engine, op, "inp", inp, N * V, `[N=${N}, V=${V}]`);
  const args: SoftmaxForwardArgs = [out, inp, V];
  engine.parallelFor(SOFTMAX_FORWARD, N, args);
}

export function softmaxBackward(engine: Engine, dInp: number, dOut: number, out: number, N: number, V: number): void {
  const op = "softmaxBackward";
  checkSize(op, "N", N);
  checkSize(op, "V", V);
  for (const [name, p] of [["dInp", dInp], ["dOut", dOut], ["out", out]] as const) checkBuffer(engine, op, name, p, N * V, `[N=${N}, V=${V}]`);
  const args: SoftmaxBackwardArgs = [dInp, dOut, out, V];
  engine.parallelFor(SOFTMAX_BACKWARD, N, args);
}
