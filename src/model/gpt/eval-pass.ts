/**
 * The forward-only pass (evaluation at any length): the same block forward as trainForward (block.ts,
 * one definition) on the evaluation plan of acts.ts — one set of layer buffers reused by every layer, the residual stream `x`
 * updated in place (the `ln` buffer doubles as the projections' output before each residual add), the
 * attention in query chunks when the encoding's bias is dense (FIRE beyond its threshold), and the
 * tied head + softmax-cross-entropy over `logitRows` rows at a time. Memory is O(N·C) + O(rows·V).
 */
import { crossEntropySoftmaxForward, IGNORE_INDEX } from "../../engine/kernels/crossentropy/crossentropy.js";
import { layerNormForward } from "../../engine/kernels/layernorm/layernorm.js";
import { linearForward } from "../../engine/kernels/matmul/matmul.js";
import { embeddingScale } from "../config.js";
import { scaledEmbeddingForward } from "../embedding.js";
import type { Pass } from "./encodings/types.js";
import { blockForward, type BlockBuffers, type ModelParts } from "./block.js";

/** What to return: per-token NLL (NaN where the target is −1) and/or the logits of chosen rows. */
export interface EvalOutputs {
  /** Filled with −log p(target) per row [N] when given. */
  nll?: Float64Array;
  /** Rows r0…r0+n−1 of the logits [n, V] when given (e.g. the last row for decoding). */
  logits?: { from: number; out: Float32Array };
  /** Filled with the argmax token id per row [N] when given (greedy prediction; ties → lowest id). */
  argmax?: Int32Array;
}

/** Embedding → layers → ln_f (into `ln`). */
function evalTrunk(m: ModelParts, pass: Pass): void {
  const { engine: e, cfg } = m, a = pass.acts, p = m.params;
  const { B, T } = pass.shape, N = B * T, C = cfg.dModel, V = cfg.vocabSize;
  m.encoding.prepare(pass);
  const emb = m.encoding.embedding(pass);
  // x = s·tok_emb[ids] + table[ids]; `ln` (written first by layer 0) is the scratch of s ≠ 1
  scaledEmbeddingForward(e, a.ptr("x"), a.ptr("ln"), a.ptr("inputs"), emb?.ids ?? 0, p.ptr("tok_emb.weight"), emb?.table ?? 0, N, C, V, emb?.rows ?? 0, embeddingScale(cfg));
  for (let l = 0; l < cfg.nLayers; l++) blockForward(m, pass, l, EVAL_BUFFERS);
  layerNormForward(e, a.ptr("ln"), a.ptr("mean"), a.ptr("rstd"), a.ptr("x"), p.ptr("ln_f.weight"), p.ptr("ln_f.bias"), N, C);
}

/** The evaluation plan's buffers, shared by every layer: `x` is updated in place, `ln` doubles as the projections' output. */
const EVAL_BUFFERS: BlockBuffers = {
  input: "x", ln1: "ln", ln1Mean: "mean", ln1Rstd: "rstd", qkv: "qkv", q: "q", k: "k", v: "v", att: "att", lse: "lse",
  attnOut: "ln", res2: "x", ln2: "ln", ln2Mean: "mean", ln2Rstd: "rstd", fc: "fch", fcAct: "fch", mlpOut: "ln", res3: "x",
  kf: "kf", vf: "vf",
};

/**
 * Runs the forward and fills `outputs` (the pass's inputs, targets and positions are already written).
 * The head runs over the rows it must: all of them for `nll`, only the requested ones for `logits`.
 */
export function evalForward(m: ModelParts, pass: Pass, outputs: EvalOutputs): void {
  const { engine: e, cfg } = m, a = pass.acts;
  const { B, T } = pass.shape, N = B * T, C = cfg.dModel, V = cfg.vocabSize;
  evalTrunk(m, pass);
  const rows = a.tensor("logits").shape[0]!;
  const want = outputs.logits;
  const allRows = outputs.nll !== undefined || outputs.argmax !== undefined;
  const first = allRows ? 0 : want!.from;
  const end = allRows ? N : want!.from + want!.out.length / V;
  const targets = a.i32("targets");
  for (let r0 = first; r0 < end; r0 += rows) {
    const n = Math.min(rows, end - r0);
    const logits = { ptr: a.ptr("logits"), shape: [n, V] };
    linearForward(e, logits, { ptr: a.ptr("ln") + 4 * r0 * C, shape: [n, C] }, m.params.ref("tok_emb.weight"));
    if (want) copyLogitRows(e.f32(logits.ptr, n * V), r0, n, V, want);
    if (outputs.argmax) argmaxRows(e.f32(logits.ptr, n * V), r0, n, V, outputs.argmax);
    if (outputs.nll) {
      crossEntropySoftmaxForward(e, a.ptr("losses"), logits.ptr, logits.ptr, a.ptr("targets") + 4 * r0, n, V);
      const losses = a.f32("losses");
      for (let i = 0; i < n; i++) outputs.nll[r0 + i] = targets[r0 + i] === IGNORE_INDEX ? NaN : losses[i]!;
    }
  }
}

function argmaxRows(chunk: Float32Array, r0: number, n: number, V: number, out: Int32Array): void {
  for (let i = 0; i < n; i++) {
    let best = 0;
    const o = i * V;
    for (let v = 1; v < V; v++) if (chunk[o + v]! > chunk[o + best]!) best = v;
    out[r0 + i] = best;
  }
}

function copyLogitRows(chunk: Float32Array, r0: number, n: number, V: number, want: { from: number; out: Float32Array }): void {
  const wantEnd = want.from + want.out.length / V;
  for (let i = Math.max(r0, want.from); i < Math.min(r0 + n, wantEnd); i++) {
    want.out.set(chunk.subarray((i - r0) * V, (i - r0 + 1) * V), (i - want.from) * V);
  }
}
