/**
 * GELU with the tanh approximation (PyTorch `F.gelu(x, approximate="tanh")`), element-wise.
 *
 * Sizes: n elements (the MLP hidden activations: n = B·T·4C).
 * Buffers (float32): inp, out, dInp, dOut [n]. out may alias inp; dInp may alias dOut.
 * Accumulate rule: dInp `=` (an activation gradient off the residual stream).
 * Parallel split: elements, in multiples of 4 (any split gives identical bytes; see mathf4).
 * Accuracy: computed as x·sigmoid(2u) with the mathf4 exp (≤ 1 ulp); tests bound the error vs the
 * float64 reference at 2e−6 relative.
 *
 * Example:
 *   geluForward(engine, act, pre, B * T * 4 * C);
 *   geluBackward(engine, dPre, dAct, pre, B * T * 4 * C);
 */
import { workGrain } from "../../engine.js";
import type { Engine } from "../../engine.js";
import { checkBuffer, checkSize } from "../checks.js";
import { GELU_BACKWARD, GELU_FORWARD, type GeluBackwardArgs, type GeluForwardArgs } from "../names.js";

export function geluForward(engine: Engine, out: number, inp: number, n: number): void {
  const op = "geluForward";
  checkSize(op, "n", n);
  checkBuffer(engine, op, "out", out, n, `[n=${n}]`);
  checkBuffer(engine, op, "inp", inp, n, `[n=${n}]`);
  const args: GeluForwardArgs = [out, inp];
  engine.parallelFor(GELU_FORWARD, n, args, workGrain(engine, 2, 4));
}

export function geluBackward(engine: Engine, dInp: number, dOut: number, inp: number, n: number): void {
  const op = "geluBackward";
  checkSize(op, "n", n);
  checkBuffer(engine, op, "dInp", dInp, n, `[n=${n}]`);
  checkBuffer(engine, op, "dOut", dOut, n, `[n=${n}]`);
  checkBuffer(engine, op, "inp", inp, n, `[n=${n}]`);
  const args: GeluBackwardArgs = [dInp, dOut, inp];
  engine.parallelFor(GELU_BACKWARD, n, args, workGrain(engine, 3, 4));
}
