/**
 * LayerNorm over the channel dimension, forward and backward (glue: checks, then the kernels).
 *
 * Sizes: N rows (= B·T), C channels.
 * Buffers (float32, row-major): inp, out, dInp, dOut [N, C]; weight, bias, dWeight, dBias [C];
 * mean, rstd [N] (saved by the forward for the backward).
 * Accumulate rule: dInp `+=` (LayerNorm reads the residual stream, whose gradient accumulates);
 * dWeight, dBias `+=` (parameter gradients, zeroed once per step).
 * Parallel split: forward and the input gradient over rows; the parameter gradients over channels
 * (a second pass re-reading inp and dOut), so no two threads ever write the same gradient element
 * and the result is bit-identical for any thread count.
 *
 * Example:
 *   layerNormForward(engine, out, mean, rstd, inp, weight, bias, B * T, C);
 *   layerNormBackward(engine, dInp, dWeight, dBias, dOut, inp, weight, mean, rstd, B * T, C);
 */
import { workGrain } from "../../engine.js";
import type { Engine } from "../../engine.js";
import { checkBuffer, checkFiniteScalar, checkSize } from "../checks.js";
import {
  LAYERNORM_BACKWARD_INPUT, LAYERNORM_BACKWARD_PARAMS, LAYERNORM_FORWARD,
  type LayerNormBackwardInputArgs, type LayerNormBackwardParamsArgs, type LayerNormForwardArgs,
} from "../names.js";

/** PyTorch nn.LayerNorm's default eps (the reference model uses it). */
export const DEFAULT_LAYERNORM_EPS = 1e-5;

export function layerNormForward(
  engine: Engine, out: number, mean: number, rstd: number, inp: number, weight: number, bias: number, N: number, C: number,
  eps = DEFAULT_LAYERNORM_EPS,
): void {
  const op = "layerNormForward";
  checkSize(op, "N", N);
  checkSize(op, "C", C);
  checkFiniteScalar(op, "eps", eps, (x) => x > 0, "a finite number > 0");
  const s = `[N=${N}, C=${C}]`;
  checkBuffer(engine, op, "out", out, N * C, s);
  checkBuffer(engine, op, "mean", mean, N, `[N=${N}]`);
  checkBuffer(engine, op, "rstd", rstd, N, `[N=${N}]`);
  checkBuffer(engine, op, "inp", inp, N * C, s);
  checkBuffer(engine, op, "weight", weight, C, `[C=${C}]`);
  checkBuffer(engine, op, "bias", bias, C, `[C=${C}]`);
  const args: LayerNormForwardArgs = [out, mean, rstd, inp, weight, bias, C, eps];
  engine.parallelFor(LAYERNORM_FORWARD, N, args, workGrain(engine, 2 * C));
}

export function layerNormBackward(
  engine: Engine, dInp: number, dWeight: number, dBias: number, dOut: number, inp: number, weight: number, mean: number, rstd: number,
  N: number, C: number,
): void {
  const op = "layerNormBackward";
  checkSize(op, "N", N);
  checkSize(op, "C", C);
  const s = `[N=${N}, C=${C}]`;
  checkBuffer(engine, op, "dInp", dInp, N * C, s);
  checkBuffer(engine, op, "dWeight", dWeight, C, `[C=${C}]`);
  checkBuffer(engine, op, "dBias", dBias, C, `[C=${C}]`);
  checkBuffer(engine, op, "dOut", dOut, N * C, s);
  checkBuffer(engine, op, "inp", inp, N * C, s);
  checkBuffer(engine, op, "weight", weight, C, `[C=${C}]`);
  checkBuffer(engine, op, "mean", mean, N, `[N=${N}]`);
  checkBuffer(engine, op, "rstd", rstd, N, `[N=${N}]`);
  const rows: LayerNormBackwardInputArgs = [dInp, dOut, inp, weight, mean, rstd, C];
  engine.parallelFor(LAYERNORM_BACKWARD_INPUT, N, rows, workGrain(engine, 3 * C));
  const cols: LayerNormBackwardParamsArgs = [dWeight, dBias, dOut, inp, mean, rstd, N, C];
  engine.parallelFor(LAYERNORM_BACKWARD_PARAMS, C, cols, workGrain(engine, 2 * N, 8));
}
