/**
 * Residual stream add and its gradient accumulation, element-wise.
 *
 * Sizes: n elements (n = B·T·C for the residual stream).
 * Buffers (float32): out, a, b, dInp, dOut [n]. out may alias a or b.
 * Forward: out = a + b. Backward: dInp += dOut for one addend (call it once per addend whose
 * gradient buffer is not dOut itself).
 * Accumulate rule: dInp `+=` (the residual stream's gradient accumulates).
 * Parallel split: elements, in multiples of 4.
 *
 * Example:
 *   residualForward(engine, x2, x1, attnOut, B * T * C);
 *   residualBackward(engine, dX1, dX2, B * T * C);
 */
import { workGrain } from "../../engine.js";
import type { Engine } from "../../engine.js";
import { checkBuffer, checkSize } from "../checks.js";
import { RESIDUAL_BACKWARD, RESIDUAL_FORWARD, type ResidualBackwardArgs, type ResidualForwardArgs } from "../names.js";

export function residualForward(engine: Engine, out: number, a: number, b: number, n: number): void {
  const op = "residualForward";
  checkSize(op, "n", n);
  for (const [name, p] of [["out", out], ["a", a], ["b", b]] as const) checkBuffer(engine, op, name, p, n, `[n=${n}]`);
  const args: ResidualForwardArgs = [out, a, b];
  engine.parallelFor(RESIDUAL_FORWARD, n, args, workGrain(engine, 3, 4));
}

export function residualBackward(engine: Engine, dInp: number, dOut: number, n: number): void {
  const op = "residualBackward";
  checkSize(op, "n", n);
  checkBuffer(engine, op, "dInp", dInp, n, `[n=${n}]`);
  checkBuffer(engine, op, "dOut", dOut, n, `[n=${n}]`);
  const args: ResidualBackwardArgs = [dInp, dOut];
  engine.parallelFor(RESIDUAL_BACKWARD, n, args, workGrain(engine, 2, 4));
}
