// The one WebAssembly module: every kernel, re-exported. Built by scripts/build.mjs with SIMD,
// threads and an imported shared memory. Add a kernel: export it here (and see docs/layout.md).
export { qkvRopeForward, qkvRopeBackward } from "./qkv-rope/qkv-rope.as";
export { attentionForward, attentionBackward } from "./attention/attention.as";
export { copeForward, copeBackward } from "./cope/cope.as";
export { relativeBdForward, relativeBdBackwardQuery, relativeBdBackwardR } from "./attention/relative-bd.as";

/** First byte of linear memory that the module's own data does not use; the planner starts here. */
export function heapBase(): usize {
  return __heap_base;
}
export { setThreadScratch, threadScratchBytes } from "../memory/scratch.as";
export { matmulAB, matmulABt, matmulAtB, matmulAtBt, biasGradAccumulate, matmulScratchBytes, matmulRowGrain, matmulColumnGrain } from "./matmul/matmul.as";
export { nonFiniteScan } from "./finite/finite.as";
export { expf4Map, sigmoidf4Map, tanhf4Map } from "./mathf4/mathf4.as";
export { layerNormForward, layerNormBackwardInput, layerNormBackwardParams } from "./layernorm/layernorm.as";
export { rmsNormForward, rmsNormBackwardInput, rmsNormBackwardParams } from "./rmsnorm/rmsnorm.as";
export { geluForward, geluBackward } from "./gelu/gelu.as";
export { biasAddForward, biasAddBackward } from "./bias/bias.as";
export { residualForward, residualBackward } from "./residual/residual.as";
export { softmaxForward, softmaxBackward } from "./softmax/softmax.as";
export { crossEntropySoftmaxForward, crossEntropySoftmaxBackward } from "./crossentropy/crossentropy.as";
export { embeddingForward, embeddingBackward } from "./embedding/embedding.as";
export { adamwStep, sumSquaresPartials, scaleInPlace } from "./adamw/adamw.as";
export { lstmCellForward, lstmCellBackward } from "./lstm/lstm.as";
export { matvecRows } from "./matvec/matvec.as";
export { decodeAttention } from "./decode-attention/decode-attention.as";
export { expNeg4Map } from "./decode-attention/decode-attention32.as";
export { decodeRelativeAttention } from "./decode-relative/decode-relative.as";
export { decodeProgram } from "./decode-program/decode-program.as";
