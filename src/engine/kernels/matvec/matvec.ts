/**
 * matvecRows: the linear layer of a decoding step, y [R, OUT] (`=`) ← x [R, IN]·Wᵀ + bias, for the
 * few rows R of one step (1 token × batch), W in PyTorch layout [OUT, IN], bias [OUT] or 0 (none).
 * The tiled matmul (matmul.ts) packs panels of A and B per call, which a 1-row product cannot repay;
 * here each output is a dot product of two contiguous rows, 4 outputs at a time, every W row read once
 * per call for all R rows (memory-bound: a step streams the weights once).
 *
 * Parallel split: output channels, in multiples of 4 (`workGrain`): a split never moves an output
 * between the 4-wide and the tail code, and both sum in the same order (4 lanes over i mod 4,
 * reduced (l0 + l2) + (l1 + l3), then the tail, then the bias), so every split gives the same bytes.
 * Precision: float32, checked against the float64 reference (matvec.ref.ts) on odd sizes.
 *
 * Example: `matvecRows(engine, y, x, w, b, 1, 128, 384)`  // one token through a qkv projection
 */
import { workGrain, type Engine } from "../../engine.js";
import { checkBuffer, checkOptionalBuffer, checkSize } from "../checks.js";
import { MATVEC_ROWS, type MatvecRowsArgs } from "../names.js";

export function matvecRows(engine: Engine, y: number, x: number, w: number, bias: number, R: number, IN: number, OUT: number): void {
  const op = "matvecRows";
  checkSize(op, "R", R);
  checkSize(op, "IN", IN);
  checkSize(op, "OUT", OUT);
  checkBuffer(engine, op, "y", y, R * OUT, `[R=${R}, OUT=${OUT}]`);
  checkBuffer(engine, op, "x", x, R * IN, `[R=${R}, IN=${IN}]`);
  checkBuffer(engine, op, "w", w, OUT * IN, `[OUT=${OUT}, IN=${IN}]`);
  checkOptionalBuffer(engine, op, "bias", bias, OUT, `[OUT=${OUT}]`);
  const args: MatvecRowsArgs = [y, x, w, bias, R, IN, OUT];
  engine.parallelFor(MATVEC_ROWS, OUT, args, workGrain(engine, IN * (R + 1), 4));
}
