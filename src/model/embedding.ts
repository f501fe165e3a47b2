/**
 * The token embedding with its scale (config `embedding.scale`, docs/model.md "Embedding scale"), on the
 * engine, shared by the transformer and the LSTM:
 *
 *   forward   x[n] = s·tok[ids[n]] + pos[posIds[n]]            (pos: the absolute encoding's table, if any)
 *   backward  dTok[ids[n]] += s·dX[n];  dPos[posIds[n]] += dX[n]
 *
 * s = 1 ("none") is exactly ONE embedding-kernel call each way (bit-identical to the model before the
 * option existed). s ≠ 1 ("sqrt_d") composes existing kernels, so the engine is unchanged:
 *   forward:  gather tok rows into x; x *= s (scaleInPlace); gather pos rows into `scratch`; x += scratch;
 *   backward: scatter dX into dPos; dX *= s IN PLACE (dX is consumed); scatter dX into dTok.
 * float32 throughout: s·e is rounded once, then the position row is added (one more rounding), the same
 * two roundings as PyTorch's `embed_scale * embed_tokens(x) + positions`.
 *
 * Sizes and buffers as the embedding kernel (src/engine/kernels/embedding/embedding.ts): N rows, C
 * channels, V token rows, P position rows (0 with pos = posIds = 0 for no table); `scratch` [N, C] is any
 * float32 buffer free during the call (only read/written when s ≠ 1 and a position table is given).
 *
 * Example:
 *   const s = embeddingScale(cfg);                       // 1 or √d
 *   scaledEmbeddingForward(engine, x, scratch, ids, posIds, tok, pos, N, C, V, P, s);
 *   scaledEmbeddingBackward(engine, dTok, dPos, dX, ids, posIds, N, C, V, P, s);
 */
import type { Engine } from "../engine/engine.js";
import { scaleInPlace } from "../engine/kernels/adamw/adamw.js";
import { embeddingBackward, embeddingForward } from "../engine/kernels/embedding/embedding.js";
import { residualForward } from "../engine/kernels/residual/residual.js";

/** out = s·tok[ids] + pos[posIds] [N, C] (see the header; `scratch` [N, C] is clobbered when s ≠ 1 and pos ≠ 0). */
export function scaledEmbeddingForward(
  engine: Engine, out: number, scratch: number, ids: number, posIds: number, tok: number, pos: number, N: number, C: number, V: number, P: number, s: number,
): void {
  if (s === 1) {
    embeddingForward(engine, out, ids, posIds, tok, pos, N, C, V, P);
    return;
  }
  embeddingForward(engine, out, ids, 0, tok, 0, N, C, V, 0);
  scaleInPlace(engine, out, N * C, s);
  if (pos === 0) return;
  embeddingForward(engine, scratch, posIds, 0, pos, 0, N, C, P, 0);
  residualForward(engine, out, out, scratch, N * C);
}

/** dTok[ids] += s·dOut, dPos[posIds] += dOut (parameter gradients `+=`); when s ≠ 1, dOut is scaled by s in place. */
export function scaledEmbeddingBackward(
  engine: Engine, dTok: number, dPos: number, dOut: number, ids: number, posIds: number, N: number, C: number, V: number, P: number, s: number,
): void {
  if (s === 1) {
    embeddingBackward(engine, dTok, dPos, dOut, ids, posIds, N, C, V, P);
    return;
  }
  if (dPos !== 0) embeddingBackward(engine, dPos, 0, dOut, posIds, 0, N, C, P, 0);
  scaleInPlace(engine, dOut, N * C, s);
  embeddingBackward(engine, dTok, 0, dOut, ids, 0, N, C, V, 0);
}
