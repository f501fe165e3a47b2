/**
 * LSTM cell, element-wise part (PyTorch nn.LSTM semantics; gate order i, f, g, o), forward and
 * backward. The model builds a layer per time step from two matmuls (x·W_ihᵀ for all steps at
 * once, h·W_hhᵀ per step) and these kernels; the float64 reference of a whole layer with BPTT is
 * lstm.ref.ts, checked against PyTorch.
 *
 * Sizes: B batch (rows of one time step), H hidden size (4H = gate rows i, f, g, o stacked).
 * Buffers (float32, row-major, one time step):
 *   preIh, preHh [B, 4H] = x_t·W_ihᵀ, h_{t−1}·W_hhᵀ (preHh may be 0: h_{t−1} = 0)
 *   biasIh, biasHh [4H] (0 = no bias); cPrev [B, H] (0 = zero initial cell state)
 *   h, c [B, H] outputs; gates [B, 4H] saved activated gates (i, f, g, o after σ/tanh)
 *   dh [B, H] total ∂L/∂h_t (from the output and from step t+1's h·W_hhᵀ product);
 *   dc [B, H] ∂L/∂c_t from step t+1 (0 at the last step); dPre [B, 4H] ∂L/∂(pre-activation);
 *   dcPrev [B, H] ∂L/∂c_{t−1} (may alias dc).
 * Accumulate rule: all outputs `=` (activation gradients). Parameter gradients come from dPre:
 * dW_ih += dPreᵀ·x, dW_hh += dPreᵀ·h_{t−1} (matmuls), dBiasIh += Σ dPre and dBiasHh += Σ dPre
 * (biasAddBackward over all T·B rows of dPre), dh_{t−1} = dPre·W_hh (matmul).
 * Parallel split: batch rows.
 *
 * Example (step t, forward then backward):
 *   lstmCellForward(engine, h[t], c[t], gates[t], preIh[t], preHh[t], c[t-1], bIh, bHh, B, H);
 *   lstmCellBackward(engine, dPre[t], dc, dh, dc, gates[t], c[t], c[t-1], B, H);
 */
import { workGrain } from "../../engine.js";
import type { Engine } from "../../engine.js";
import { checkBuffer, checkOptionalBuffer, checkSize } from "../checks.js";
import { LSTM_CELL_BACKWARD, LSTM_CELL_FORWARD, type LstmCellBackwardArgs, type LstmCellForwardArgs } from "../names.js";

export function lstmCellForward(
  engine: Engine, h: number, c: number, gates: number, preIh: number, preHh: number, cPrev: number, biasIh: number, biasHh: number, B: number, H: number,
): void {
  const op = "lstmCellForward";
  checkSize(op, "B", B);
  checkSize(op, "H", H);
  const bh = `[B=${B}, H=${H}]`, g = `[B=${B}, 4H=${4 * H}]`;
  checkBuffer(engine, op, "h", h, B * H, bh);
  checkBuffer(engine, op, "c", c, B * H, bh);
  checkBuffer(engine, op, "gates", gates, 4 * B * H, g);
  checkBuffer(engine, op, "preIh", preIh, 4 * B * H, g);
  checkOptionalBuffer(engine, op, "preHh", preHh, 4 * B * H, g);
  checkOptionalBuffer(engine, op, "cPrev", cPrev, B * H, bh);
  checkOptionalBuffer(engine, op, "biasIh", biasIh, 4 * H, `[4H=${4 * H}]`);
  checkOptionalBuffer(engine, op, "biasHh", biasHh, 4 * H, `[4H=${4 * H}]`);
  const args: LstmCellForwardArgs = [h, c, gates, preIh, preHh, cPrev, biasIh, biasHh, H];
  engine.parallelFor(LSTM_CELL_FORWARD, B, args, workGrain(engine, 12 * H));
}

export function lstmCellBackward(
  engine: Engine, dPre: number, dcPrev: number, dh: number, dc: number, gates: number, c: number, cPrev: number, B: number, H: number,
): void {
  const op = "lstmCellBackward";
  checkSize(op, "B", B);
  checkSize(op, "H", H);
  const bh = `[B=${B}, H=${H}]`, g = `[B=${B}, 4H=${4 * H}]`;
  checkBuffer(engine, op, "dPre", dPre, 4 * B * H, g);
  checkBuffer(engine, op, "dcPrev", dcPrev, B * H, bh);
  checkBuffer(engine, op, "dh", dh, B * H, bh);
  checkOptionalBuffer(engine, op, "dc", dc, B * H, bh);
  checkBuffer(engine, op, "gates", gates, 4 * B * H, g);
  checkBuffer(engine, op, "c", c, B * H, bh);
  checkOptionalBuffer(engine, op, "cPrev", cPrev, B * H, bh);
  const args: LstmCellBackwardArgs = [dPre, dcPrev, dh, dc, gates, c, cPrev, H];
  engine.parallelFor(LSTM_CELL_BACKWARD, B, args, workGrain(engine, 16 * H));
}
