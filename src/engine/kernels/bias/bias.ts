/**
 * Bias add over the last dimension, in place on a matmul output: out[r, :] += bias.
 *
 * Sizes: N rows (= B·T), C output channels.
 * Buffers (float32): out, dOut [N, C]; bias, dBias [C].
 * Accumulate rule: dBias `+=` (parameter gradient). The input gradient of a bias add is dOut itself
 * (no kernel needed).
 * Parallel split: forward over rows; backward over channels (grain 16), rows summed in order, so no
 * two threads write the same dBias element and any split gives identical bytes.
 *
 * Example:
 *   biasAddForward(engine, out, bias, B * T, C);      // after out = inp · Wᵀ
 *   biasAddBackward(engine, dBias, dOut, B * T, C);
 */
import { workGrain } from "../../engine.js";
import type { Engine } from "../../engine.js";
import { checkBuffer, checkSize } from "../checks.js";
import { BIAS_ADD_BACKWARD, BIAS_ADD_FORWARD, type BiasAddBackwardArgs, type BiasAddForwardArgs } from "../names.js";

export function biasAddForward(engine: Engine, out: number, bias: number, N: number, C: number): void {
  const op = "biasAddForward";
  checkSize(op, "N", N);
  checkSize(op, "C", C);
  checkBuffer(engine, op, "out", out, N * C, `[N=${N}, C=${C}]`);
  checkBuffer(engine, op, "bias", bias, C, `[C=${C}]`);
  const args: BiasAddForwardArgs = [out, bias, C];
  engine.parallelFor(BIAS_ADD_FORWARD, N, args, workGrain(engine, C));
}

export function biasAddBackward(engine: Engine, dBias: number, dOut: number, N: number, C: number): void {
  const op = "biasAddBackward";
  checkSize(op, "N", N);
  checkSize(op, "C", C);
  checkBuffer(engine, op, "dBias", dBias, C, `[C=${C}]`);
  checkBuffer(engine, op, "dOut", dOut, N * C, `[N=${N}, C=${C}]`);
  const args: BiasAddBackwardArgs = [dBias, dOut, N, C];
  engine.parallelFor(BIAS_ADD_BACKWARD, C, args, workGrain(engine, N, 16));
}
