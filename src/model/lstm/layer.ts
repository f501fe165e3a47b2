/**
 * One LSTM layer over a whole window, as a flat list of engine calls (forward and BPTT backward).
 *
 * Layout: TIME-MAJOR. Row r = t·B + b of every [N, ·] buffer (N = T·B) is time step t of batch row b,
 * so the B rows of one step are contiguous: a per-step matmul or cell call takes a plain pointer, and
 * "all steps but the first" is one contiguous range (the W_hh gradient is one matmul).
 *
 * Forward (PyTorch nn.LSTM semantics, gate rows i, f, g, o):
 *   preIh = x·W_ihᵀ                                   one matmul [N, in]·[4H, in]ᵀ for all T at once
 *   for t = 0 … T−1:  preHh = h_{t−1}·W_hhᵀ           matmul [B, H]·[4H, H]ᵀ (skipped when h_{t−1} = 0)
 *                     (h_t, c_t, gates_t) = cell(preIh_t + b_ih + preHh + b_hh, c_{t−1})
 * The initial state (h_{−1}, c_{−1}) is given by pointer or 0 = zeros.
 *
 * Backward (training only; the initial state is zero there), for t = T−1 … 0:
 *   dh_t = dH_t (from above, in place) + dPre_{t+1}·W_hh             (matmul NN, accumulate)
 *   (dPre_t, dc_{t−1}) = cellBackward(dh_t, dc_t, gates_t, c_t, c_{t−1})
 * then, over all steps at once: dW_ih += dPreᵀ·x, dW_hh += dPre[1:]ᵀ·h[:−1] (matmuls TN, accumulate),
 * db_ih += Σ dPre, db_hh += Σ dPre (biasAddBackward over the N rows), dX = dPre·W_ih (matmul NN, `=`).
 *
 * Example:
 *   lstmLayerForward(engine, w, { x, h, preIh, preHh, gates: (t) => …, c: (t) => … }, B, T, d, H);
 *   lstmLayerBackward(engine, w, g, { x, h, dPre, gates, c, dH, dc, dX }, B, T, d, H);
 */
import type { Engine } from "../../engine/engine.js";
import { biasAddBackward } from "../../engine/kernels/bias/bias.js";
import { lstmCellBackward, lstmCellForward } from "../../engine/kernels/lstm/lstm.js";
import { matmul } from "../../engine/kernels/matmul/matmul.js";

/** Pointers of one layer's parameters (or of their gradients): W_ih [4H, in], W_hh [4H, H], b_ih, b_hh [4H]. */
export interface LayerTensors {
  weightIh: number;
  weightHh: number;
  biasIh: number;
  biasHh: number;
}

export interface LayerForwardBuffers {
  /** Input [N, in] (time-major). */
  x: number;
  /** Output hidden states [N, H] (time-major; row block t = h_t). */
  h: number;
  /** Input projection [N, 4H] (written; in training it is reused as dPre by the backward). */
  preIh: number;
  /** One step's recurrent projection [B, 4H] (scratch). */
  preHh: number;
  /** Where step t's activated gates [B, 4H] go (all steps kept in training, one scratch at evaluation). */
  gates: (t: number) => number;
  /** Where step t's cell state [B, H] goes (all steps kept in training, two alternating at evaluation). */
  c: (t: number) => number;
  /** Initial hidden and cell state [B, H], or 0 for zeros. */
  h0: number;
  c0: number;
}

const F32 = 4;

/** Forward of one layer over T steps (see the header); writes h, c(t), gates(t), preIh. */
export function lstmLayerForward(engine: Engine, w: LayerTensors, buf: LayerForwardBuffers, B: number, T: number, inDim: number, H: number): void {
  const N = B * T, G = 4 * H;
  matmul(engine, { ptr: buf.preIh, shape: [N, G] }, { ptr: buf.x, shape: [N, inDim] }, { ptr: w.weightIh, shape: [G, inDim] }, { transpose: "NT" });
  for (let t = 0; t < T; t++) {
    const hPrev = t === 0 ? buf.h0 : buf.h + (t - 1) * B * H * F32;
    const cPrev = t === 0 ? buf.c0 : buf.c(t - 1);
    let preHh = 0;
    if (hPrev !== 0) {
      matmul(engine, { ptr: buf.preHh, shape: [B, G] }, { ptr: hPrev, shape: [B, H] }, { ptr: w.weightHh, shape: [G, H] }, { transpose: "NT" });
      preHh = buf.preHh;
    }
    lstmCellForward(engine, buf.h + t * B * H * F32, buf.c(t), buf.gates(t), buf.preIh + t * B * G * F32, preHh, cPrev, w.biasIh, w.biasHh, B, H);
  }
}

export interface LayerBackwardBuffers {
  /** The forward's input [N, in] and output [N, H], all gates [N, 4H] and cell states [N, H] (zero initial state). */
  x: number;
  h: number;
  gates: number;
  c: number;
  /** ∂L/∂(pre-activations) [N, 4H] (written; may be the forward's preIh, dead by then). */
  dPre: number;
  /** ∂L/∂h [N, H] from above (the head or the next layer); the recurrent part is added in place. */
  dH: number;
  /** One step's ∂L/∂c [B, H] (scratch). */
  dc: number;
  /** ∂L/∂x [N, in] (written, `=`). */
  dX: number;
}

/** BPTT of one layer (see the header): parameter gradients `+=` into `g`, dX `=`. */
export function lstmLayerBackward(
  engine: Engine, w: LayerTensors, g: LayerTensors, buf: LayerBackwardBuffers, B: number, T: number, inDim: number, H: number,
): void {
  const N = B * T, G = 4 * H;
  const stepH = B * H * F32, stepG = B * G * F32;
  for (let t = T - 1; t >= 0; t--) {
    const dh = buf.dH + t * stepH;
    if (t < T - 1) {
      matmul(engine, { ptr: dh, shape: [B, H] }, { ptr: buf.dPre + (t + 1) * stepG, shape: [B, G] }, { ptr: w.weightHh, shape: [G, H] }, { transpose: "NN", accumulate: true });
    }
    const cPrev = t === 0 ? 0 : buf.c + (t - 1) * stepH;
    lstmCellBackward(engine, buf.dPre + t * stepG, buf.dc, dh, t === T - 1 ? 0 : buf.dc, buf.gates + t * stepG, buf.c + t * stepH, cPrev, B, H);
  }
  matmul(engine, { ptr: g.weightIh, shape: [G, inDim] }, { ptr: buf.dPre, shape: [N, G] }, { ptr: buf.x, shape: [N, inDim] }, { transpose: "TN", accumulate: true });
  if (T > 1) {
    const M = (T - 1) * B;
    matmul(engine, { ptr: g.weightHh, shape: [G, H] }, { ptr: buf.dPre + stepG, shape: [M, G] }, { ptr: buf.h, shape: [M, H] }, { transpose: "TN", accumulate: true });
  }
  biasAddBackward(engine, g.biasIh, buf.dPre, N, G);
  biasAddBackward(engine, g.biasHh, buf.dPre, N, G);
  matmul(engine, { ptr: buf.dX, shape: [N, inDim] }, { ptr: buf.dPre, shape: [N, G] }, { ptr: w.weightIh, shape: [G, inDim] }, { transpose: "NN" });
}
