/**
 * Kernel names exported by the wasm module, with their argument lists (pointers are byte offsets
 * into the shared memory; every kernel takes (start, end) last, over the parallel dimension named
 * in brackets). Use these constants, never bare strings. Each group belongs to one kernel folder.
 */

// --- qkv-rope (src/engine/kernels/qkv-rope) ------------------------------------------------------
/** qkvRopeForward(q, k, v, qkv, cosQ, sinQ, cosK, sinK, posIds, posBatchStride, T, NH, HS, rotaryDim, interleaved, start, end) [B·T rows] */
export const QKV_ROPE_FORWARD = "qkvRopeForward";
/** qkvRopeBackward(dqkv, dq, dk, dv, cosQ, sinQ, cosK, sinK, posIds, posBatchStride, T, NH, HS, rotaryDim, interleaved, start, end) [B·T rows] */
export const QKV_ROPE_BACKWARD = "qkvRopeBackward";
// --- end qkv-rope ---------------------------------------------------------------------------------

// --- attention (src/engine/kernels/attention) -----------------------------------------------------
/** attentionForward(out, lse, q, k, v, scratch, biasMode, bias, maxDist, posIds, posBatchStride, T, NH, HS, scale, window, q0, q1, blockQ, blockK, start, end) [B·NH] */
export const ATTENTION_FORWARD = "attentionForward";
/** attentionBackward(dq, dk, dv, dBias, dout, out, lse, q, k, v, scratch, biasMode, bias, maxDist, posIds, posBatchStride, T, NH, HS, scale, window, blockQ, blockK, start, end) [B·NH] */
export const ATTENTION_BACKWARD = "attentionBackward";
// --- end attention --------------------------------------------------------------------------------

// --- cope (src/engine/kernels/cope) ---------------------------------------------------------------
/** copeForward(out, lse, q, k, v, emb, scratch, T, NH, HS, maxPos, scale, start, end) [B·NH] */
export const COPE_FORWARD = "copeForward";
/** copeBackward(dq, dk, dv, dEmb, dout, out, lse, q, k, v, emb, scratch, T, NH, HS, maxPos, scale, start, end) [B·NH] */
export const COPE_BACKWARD = "copeBackward";
// --- end cope -------------------------------------------------------------------------------------
