/**
 * Embedding gather (forward) and scatter-add (backward): token table plus an optional absolute
 * position table indexed by an explicit position-id array (randomized positions give
 * non-contiguous, per-token ids).
 *
 * Sizes: N rows (= B·T), C channels, V vocabulary (token table rows), P position table rows (maxT).
 * Buffers: out, dOut float32 [N, C]; ids, posIds int32 [N] (ids in [0, V), posIds in [0, P));
 * tok, dTok float32 [V, C]; pos, dPos float32 [P, C]. Pass pos = posIds = dPos = 0 (and P = 0) for
 * no position table.
 * Accumulate rule: dTok, dPos `+=` (parameter gradients; the tied output head adds into dTok too).
 * Parallel split: forward over rows; backward over channels (grain 4), each range owning columns of
 * every table row and adding rows in order 0…N−1, so repeated ids never race and any split gives
 * identical bytes.
 *
 * Example:
 *   embeddingForward(engine, x, ids, posIds, tokEmb, posEmb, B * T, C, V, maxT);
 *   embeddingBackward(engine, dTokEmb, dPosEmb, dX, ids, posIds, B * T, C, V, maxT);
 */
import { workGrain } from "../../engine.js";
import type { Engine } from "../../engine.js";
import { ExtraposError } from "../../../pe/errors.js";
import { checkBuffer, checkIndices, checkSize } from "../checks.js";
import { EMBEDDING_BACKWARD, EMBEDDING_FORWARD, type EmbeddingBackwardArgs, type EmbeddingForwardArgs } from "../names.js";

function checkIds(engine: Engine, op: string, ids: number, posIds: number, posTable: number, N: number, C: number, V: number, P: number): void {
  checkSize(op, "N", N);
  checkSize(op, "C", C);
  checkSize(op, "V", V);
  checkSize(op, "P", P, 0);
  checkBuffer(engine, op, "ids", ids, N, `[N=${N}]`);
  checkIndices(engine, op, "ids", ids, N, 0, V, `[N=${N}] (V=${V})`);
  if ((posTable === 0) !== (posIds === 0) || (posTable === 0) !== (P === 0)) {
    throw new ExtraposError("invalid_argument", `${op}: the position table, posIds and P must be given together or all be 0, got table=${posTable}, posIds=${posIds}, P=${P}`);
  }
  if (posTable !== 0) {
    checkBuffer(engine, op, "posIds", posIds, N, `[N=${N}]`);
    checkIndices(engine, op, "posIds", posIds, N, 0, P, `[N=${N}] (P=${P})`);
  }
}

export function embeddingForward(engine: Engine, out: number, ids: number, posIds: number, tok: number, pos: number, N: number, C: number, V: number, P: number): void {
  const op = "embeddingForward";
  checkIds(engine, op, ids, posIds, pos, N, C, V, P);
  checkBuffer(engine, op, "out", out, N * C, `[N=${N}, C=${C}]`);
  checkBuffer(engine, op, "tok", tok, V * C, `[V=${V}, C=${C}]`);
  if (pos !== 0) checkBuffer(engine, op, "pos", pos, P * C, `[P=${P}, C=${C}]`);
  const args: EmbeddingForwardArgs = [out, ids, posIds, tok, pos, C];
  engine.parallelFor(EMBEDDING_FORWARD, N, args, workGrain(engine, 2 * C));
}

export function embeddingBackward(engine: Engine, dTok: number, dPos: number, dOut: number, ids: number, posIds: number, N: number, C: number, V: number, P: number): void {
  const op = "embeddingBackward";
  checkIds(engine, op, ids, posIds, dPos, N, C, V, P);
  checkBuffer(engine, op, "dTok", dTok, V * C, `[V=${V}, C=${C}]`);
  if (dPos !== 0) checkBuffer(engine, op, "dPos", dPos, P * C, `[P=${P}, C=${C}]`);
  checkBuffer(engine, op, "dOut", dOut, N * C, `[N=${N}, C=${C}]`);
  const args: EmbeddingBackwardArgs = [dTok, dPos, dOut, ids, posIds, N, C];
  engine.parallelFor(EMBEDDING_BACKWARD, C, args, workGrain(engine, 2 * N, 4));
}
