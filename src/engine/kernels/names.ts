/**
 * Kernel names exported by the wasm module, with their argument lists (pointers are byte offsets
 * into the shared memory; every kernel takes (start, end) last, over the parallel dimension named
 * in brackets). Use these constants, never bare strings. Each group belongs to one kernel folder.
 */

// --- qkv-rope (src/engine/kernels/qkv-rope) ------------------------------------------------------
/** qkvRopeForward(q, k, v, qkv, cosQ, sinQ, cosK, sinK, posIds, posBatchStride, T, NH, HS, rotaryDim, interleaved, start, end) [B·T rows] */
export const QKV_ROPE_FORWARD = "qkvRopeForward";
/** The rotation part shared by both directions (after the four buffers). */
export type QkvRopeRotationArgs = [cosQ: number, sinQ: number, cosK: number, sinK: number, posIds: number, posBatchStride: number, T: number, NH: number, HS: number, rotaryDim: number, interleaved: number];
export type QkvRopeForwardArgs = [q: number, k: number, v: number, qkv: number, ...rotation: QkvRopeRotationArgs];
/** qkvRopeBackward(dqkv, dq, dk, dv, cosQ, sinQ, cosK, sinK, posIds, posBatchStride, T, NH, HS, rotaryDim, interleaved, start, end) [B·T rows] */
export const QKV_ROPE_BACKWARD = "qkvRopeBackward";
export type QkvRopeBackwardArgs = [dqkv: number, dq: number, dk: number, dv: number, ...rotation: QkvRopeRotationArgs];
// --- end qkv-rope ---------------------------------------------------------------------------------

// --- attention (src/engine/kernels/attention) -----------------------------------------------------
/** attentionForward(params, start, end) [B·NH]: params = the parameter block (`AttentionCall`, attention-params.as.ts) */
export const ATTENTION_FORWARD = "attentionForward";
export type AttentionForwardArgs = [params: number];
/** attentionBackward(params, start, end) [B·NH]: the same parameter block, with the gradient pointers */
export const ATTENTION_BACKWARD = "attentionBackward";
export type AttentionBackwardArgs = [params: number];
/** relativeBdForward(bias, x, r, vb, K, NH, HS, D, scale, start, end) [NH·K rows]: Transformer-XL's BD term (relative-bd.ts) */
export const RELATIVE_BD_FORWARD = "relativeBdForward";
export type RelativeBdForwardArgs = [bias: number, x: number, r: number, vb: number, K: number, NH: number, HS: number, D: number, scale: number];
/** relativeBdBackwardQuery(acc, dBias, r, K, NH, HS, D, scale, start, end) [NH·K rows] */
export const RELATIVE_BD_BACKWARD_QUERY = "relativeBdBackwardQuery";
export type RelativeBdBackwardQueryArgs = [acc: number, dBias: number, r: number, K: number, NH: number, HS: number, D: number, scale: number];
/** relativeBdBackwardR(dr, dBias, x, vb, K, M, NH, HS, D, scale, start, end) [NH·(D+1) rows] */
export const RELATIVE_BD_BACKWARD_R = "relativeBdBackwardR";
export type RelativeBdBackwardRArgs = [dr: number, dBias: number, x: number, vb: number, K: number, M: number, NH: number, HS: number, D: number, scale: number];
// --- end attention --------------------------------------------------------------------------------

// --- cope (src/engine/kernels/cope) ---------------------------------------------------------------
/** copeForward(out, lse, q, k, v, emb, scratch, T, NH, HS, maxPos, scale, start, end) [B·NH] */
export const COPE_FORWARD = "copeForward";
export type CopeForwardArgs = [out: number, lse: number, q: number, k: number, v: number, emb: number, scratch: number, T: number, NH: number, HS: number, maxPos: number, scale: number];
/** copeBackward(dq, dk, dv, dEmb, dout, out, lse, q, k, v, emb, scratch, T, NH, HS, maxPos, scale, start, end) [B·NH] */
export const COPE_BACKWARD = "copeBackward";
export type CopeBackwardArgs = [dq: number, dk: number, dv: number, dEmb: number, dout: number, out: number, lse: number, q: number, k: number, v: number, emb: number, scratch: number, T: number, NH: number, HS: number, maxPos: number, scale: number];
// --- end cope -------------------------------------------------------------------------------------

/*
 * Kernel names (the wasm export names) with their argument lists, so callers never use bare strings
 * (tfjs `kernel_names.ts` style). Every kernel also takes (start, end) last: the part of its
 * parallel dimension that one call computes (see src/engine/engine.ts). Pointers are byte offsets.
 * Size legend: B batch, T time, C channels, V vocabulary, H LSTM hidden size, N rows (= B·T),
 * n elements. "rows" / "channels" / "elements" / "chunks" / "batch" = the parallel dimension.
 */

// mathf4 (test kernels for the vector exp/sigmoid/tanh): elements
export const EXPF4_MAP = "expf4Map";
export const SIGMOIDF4_MAP = "sigmoidf4Map";
export const TANHF4_MAP = "tanhf4Map";
/** decode-attention32.as.ts's exp for x ≤ 0 (test kernel: the same bits as expf4Map there). */
export const EXPNEG4_MAP = "expNeg4Map";
export type MapF4Args = [out: number, inp: number];

// layernorm: rows / rows / channels
export const LAYERNORM_FORWARD = "layerNormForward";
export type LayerNormForwardArgs = [out: number, mean: number, rstd: number, inp: number, weight: number, bias: number, C: number, eps: number];
export const LAYERNORM_BACKWARD_INPUT = "layerNormBackwardInput";
export type LayerNormBackwardInputArgs = [dInp: number, dOut: number, inp: number, weight: number, mean: number, rstd: number, C: number];
export const LAYERNORM_BACKWARD_PARAMS = "layerNormBackwardParams";
export type LayerNormBackwardParamsArgs = [dWeight: number, dBias: number, dOut: number, inp: number, mean: number, rstd: number, N: number, C: number];

// rmsnorm: rows / rows / channels
export const RMSNORM_FORWARD = "rmsNormForward";
export type RmsNormForwardArgs = [out: number, rstd: number, inp: number, weight: number, C: number, eps: number];
export const RMSNORM_BACKWARD_INPUT = "rmsNormBackwardInput";
export type RmsNormBackwardInputArgs = [dInp: number, dOut: number, inp: number, weight: number, rstd: number, C: number];
export const RMSNORM_BACKWARD_PARAMS = "rmsNormBackwardParams";
export type RmsNormBackwardParamsArgs = [dWeight: number, dOut: number, inp: number, rstd: number, N: number, C: number];

// gelu: elements
export const GELU_FORWARD = "geluForward";
export type GeluForwardArgs = [out: number, inp: number];
export const GELU_BACKWARD = "geluBackward";
export type GeluBackwardArgs = [dInp: number, dOut: number, inp: number];

// bias: rows / channels
export const BIAS_ADD_FORWARD = "biasAddForward";
export type BiasAddForwardArgs = [out: number, bias: number, C: number];
export const BIAS_ADD_BACKWARD = "biasAddBackward";
export type BiasAddBackwardArgs = [dBias: number, dOut: number, N: number, C: number];

// residual: elements
export const RESIDUAL_FORWARD = "residualForward";
export type ResidualForwardArgs = [out: number, a: number, b: number];
export const RESIDUAL_BACKWARD = "residualBackward";
export type ResidualBackwardArgs = [dInp: number, dOut: number];

// softmax: rows
export const SOFTMAX_FORWARD = "softmaxForward";
export type SoftmaxForwardArgs = [out: number, inp: number, V: number];
export const SOFTMAX_BACKWARD = "softmaxBackward";
export type SoftmaxBackwardArgs = [dInp: number, dOut: number, out: number, V: number];

// crossentropy (fused with softmax): rows
export const CROSS_ENTROPY_SOFTMAX_FORWARD = "crossEntropySoftmaxForward";
export type CrossEntropySoftmaxForwardArgs = [losses: number, probs: number, logits: number, targets: number, V: number];
export const CROSS_ENTROPY_SOFTMAX_BACKWARD = "crossEntropySoftmaxBackward";
export type CrossEntropySoftmaxBackwardArgs = [dLogits: number, probs: number, targets: number, dlossScale: number, V: number];

// embedding: rows / channels
export const EMBEDDING_FORWARD = "embeddingForward";
export type EmbeddingForwardArgs = [out: number, ids: number, posIds: number, tok: number, pos: number, C: number];
export const EMBEDDING_BACKWARD = "embeddingBackward";
export type EmbeddingBackwardArgs = [dTok: number, dPos: number, dOut: number, ids: number, posIds: number, N: number, C: number];

// adamw: elements / chunks / elements
export const ADAMW_STEP = "adamwStep";
export type AdamwStepArgs = [
  param: number, m: number, v: number, grad: number, decayMask: number,
  gradScale: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number,
  eps: number, decayFactor: number, stepSize: number, bc2Sqrt: number,
];
export const SUM_SQUARES_PARTIALS = "sumSquaresPartials";
export type SumSquaresPartialsArgs = [partials: number, x: number, n: number, chunk: number];
export const SCALE_IN_PLACE = "scaleInPlace";
export type ScaleInPlaceArgs = [x: number, s: number];

// lstm cell: batch rows
export const LSTM_CELL_FORWARD = "lstmCellForward";
export type LstmCellForwardArgs = [h: number, c: number, gates: number, preIh: number, preHh: number, cPrev: number, biasIh: number, biasHh: number, H: number];
export const LSTM_CELL_BACKWARD = "lstmCellBackward";
export type LstmCellBackwardArgs = [dPre: number, dcPrev: number, dh: number, dc: number, gates: number, c: number, cPrev: number, H: number];

// matvec (few-row linear of a decoding step): output channels
export const MATVEC_ROWS = "matvecRows";
export type MatvecRowsArgs = [y: number, x: number, w: number, bias: number, R: number, IN: number, OUT: number];

// decode-attention (attention over a KV cache): batch·heads; one parameter block (decode-attention.ts)
export const DECODE_ATTENTION = "decodeAttention";
export type DecodeAttentionArgs = [params: number];

// decode-program (a decoding step's kernel calls from one entry, decode-program.ts): threads (one index each)
export const DECODE_PROGRAM = "decodeProgram";
export type DecodeProgramArgs = [program: number, ops: number, from: number, to: number, threads: number];

// decode-relative (Transformer-XL's relative attention over a KV cache): batch·heads; one parameter block (decode-relative.ts)
export const DECODE_RELATIVE = "decodeRelativeAttention";
export type DecodeRelativeArgs = [params: number];

// matmul (src/engine/kernels/matmul): rows of C, or its columns when `byColumns`
export const MATMUL_AB = "matmulAB";
export const MATMUL_ABT = "matmulABt";
export const MATMUL_ATB = "matmulAtB";
export const MATMUL_ATBT = "matmulAtBt";
export type MatmulArgs = [c: number, a: number, b: number, bias: number, m: number, k: number, n: number, accumulate: number, byColumns: number];
export const BIAS_GRAD_ACCUMULATE = "biasGradAccumulate";
export type BiasGradAccumulateArgs = [dBias: number, dOut: number, rows: number, cols: number];

// finite (debug scans): chunks
export const NON_FINITE_SCAN = "nonFiniteScan";
export type NonFiniteScanArgs = [ptr: number, out: number, chunk: number];

/**
 * Every kernel's argument list by name: `Engine.parallelFor(name, n, args)` is typed with it, so a
 * kernel name and its arguments cannot disagree (a missing, extra or misplaced argument is a compile error).
 */
export interface KernelArgs {
  [QKV_ROPE_FORWARD]: QkvRopeForwardArgs;
  [QKV_ROPE_BACKWARD]: QkvRopeBackwardArgs;
  [ATTENTION_FORWARD]: AttentionForwardArgs;
  [ATTENTION_BACKWARD]: AttentionBackwardArgs;
  [RELATIVE_BD_FORWARD]: RelativeBdForwardArgs;
  [RELATIVE_BD_BACKWARD_QUERY]: RelativeBdBackwardQueryArgs;
  [RELATIVE_BD_BACKWARD_R]: RelativeBdBackwardRArgs;
  [COPE_FORWARD]: CopeForwardArgs;
  [COPE_BACKWARD]: CopeBackwardArgs;
  [EXPF4_MAP]: MapF4Args;
  [SIGMOIDF4_MAP]: MapF4Args;
  [TANHF4_MAP]: MapF4Args;
  [EXPNEG4_MAP]: MapF4Args;
  [LAYERNORM_FORWARD]: LayerNormForwardArgs;
  [LAYERNORM_BACKWARD_INPUT]: LayerNormBackwardInputArgs;
  [LAYERNORM_BACKWARD_PARAMS]: LayerNormBackwardParamsArgs;
  [RMSNORM_FORWARD]: RmsNormForwardArgs;
  [RMSNORM_BACKWARD_INPUT]: RmsNormBackwardInputArgs;
  [RMSNORM_BACKWARD_PARAMS]: RmsNormBackwardParamsArgs;
  [GELU_FORWARD]: GeluForwardArgs;
  [GELU_BACKWARD]: GeluBackwardArgs;
  [BIAS_ADD_FORWARD]: BiasAddForwardArgs;
  [BIAS_ADD_BACKWARD]: BiasAddBackwardArgs;
  [RESIDUAL_FORWARD]: ResidualForwardArgs;
  [RESIDUAL_BACKWARD]: ResidualBackwardArgs;
  [SOFTMAX_FORWARD]: SoftmaxForwardArgs;
  [SOFTMAX_BACKWARD]: SoftmaxBackwardArgs;
  [CROSS_ENTROPY_SOFTMAX_FORWARD]: CrossEntropySoftmaxForwardArgs;
  [CROSS_ENTROPY_SOFTMAX_BACKWARD]: CrossEntropySoftmaxBackwardArgs;
  [EMBEDDING_FORWARD]: EmbeddingForwardArgs;
  [EMBEDDING_BACKWARD]: EmbeddingBackwardArgs;
  [ADAMW_STEP]: AdamwStepArgs;
  [SUM_SQUARES_PARTIALS]: SumSquaresPartialsArgs;
  [SCALE_IN_PLACE]: ScaleInPlaceArgs;
  [LSTM_CELL_FORWARD]: LstmCellForwardArgs;
  [LSTM_CELL_BACKWARD]: LstmCellBackwardArgs;
  [MATVEC_ROWS]: MatvecRowsArgs;
  [DECODE_ATTENTION]: DecodeAttentionArgs;
  [DECODE_RELATIVE]: DecodeRelativeArgs;
  [DECODE_PROGRAM]: DecodeProgramArgs;
  [MATMUL_AB]: MatmulArgs;
  [MATMUL_ABT]: MatmulArgs;
  [MATMUL_ATB]: MatmulArgs;
  [MATMUL_ATBT]: MatmulArgs;
  [BIAS_GRAD_ACCUMULATE]: BiasGradAccumulateArgs;
  [NON_FINITE_SCAN]: NonFiniteScanArgs;
}

/** A kernel the engine can run with `parallelFor`. */
export type KernelName = keyof KernelArgs;
