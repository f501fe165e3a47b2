/**
 * RMSNorm over the channel dimension (no bias): out = x/√(mean(x²) + eps)·weight.
 *
 * Sizes: N rows (= B·T), C channels.
 * Buffers (float32, row-major): inp, out, dInp, dOut [N, C]; weight, dWeight [C]; rstd [N] (saved).
 * Accumulate rule: dInp `+=` (residual stream); dWeight `+=` (parameter gradient).
 * Parallel split: forward and input gradient over rows; dWeight over channels (second pass).
 *
 * Example:
 *   rmsNormForward(engine, out, rstd, inp, weight, B * T, C);
 *   rmsNormBackward(engine, dInp, dWeight, dOut, inp, weight, rstd, B * T, C);
 */
import type { Engine } from "../../engine.js";
import { checkBuffer, checkFiniteScalar, checkSize } from "../checks.js";
import {
  RMSNORM_BACKWARD_INPUT, RMSNORM_BACKWARD_PARAMS, RMSNORM_FORWARD,
  type RmsNormBackwardInputArgs, type RmsNormBackwardParamsArgs, type RmsNormForwardArgs,
} from "../names.js";

/** Default eps (as LLaMA-style models commonly use; pass the model's own value explicitly). */
export const DEFAULT_RMSNORM_EPS = 1e-5;

export function rmsNormForward(engine: Engine, out: number, rstd: number, inp: number, weight: number, N: number, C: number, eps = DEFAULT_RMSNORM_EPS): void {
  const op = "rmsNormForward";
  checkSize(op, "N", N);
  checkSize(op, "C", C);
  checkFiniteScalar(op, "eps", eps, (x) => x > 0, "a finite number > 0");
  const s = `[N=${N}, C=${C}]`;
  checkBuffer(engine, op, "out", out, N * C, s);
  checkBuffer(engine, op, "rstd", rstd, N, `[N=${N}]`);
  checkBuffer(engine, op, "inp", inp, N * C, s);
  checkBuffer(engine, op, "weight", weight, C, `[C=${C}]`);
  const args: RmsNormForwardArgs = [out, rstd, inp, weight, C, eps];
  engine.parallelFor(RMSNORM_FORWARD, N, args);
}

export function rmsNormBackward(engine: Engine, dInp: number, dWeight: number, dOut: number, inp: number, weight: number, rstd: number, N: number, C: number): void {
  const op = "rmsNormBackward";
  checkSize(op, "N", N);
  checkSize(op, "C", C);
  const s = `[N=${N}, C=${C}]`;
  checkBuffer(engine, op, "dInp", dInp, N * C, s);
  checkBuffer(engine, op, "dWeight", dWeight, C, `[C=${C}]`);
  checkBuffer(engine, op, "dOut", dOut, N * C, s);
  checkBuffer(engine, op, "inp", inp, N * C, s);
  checkBuffer(engine, op, "weight", weight, C, `[C=${C}]`);
  checkBuffer(engine, op, "rstd", rstd, N, `[N=${N}]`);
  const rows: RmsNormBackwardInputArgs = [dInp, dOut, inp, weight, rstd, C];
  engine.parallelFor(RMSNORM_BACKWARD_INPUT, N, rows);
  const cols: RmsNormBackwardParamsArgs = [dWeight, dOut, inp, rstd, N, C];
  engine.parallelFor(RMSNORM_BACKWARD_PARAMS, C, cols, 8);
}
