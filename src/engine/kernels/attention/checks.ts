/**
 * Argument checks shared by the attention-family glue (qkv-rope, attention, cope): each failure is an
 * ExtraposError naming the operation, the argument, the constraint and the value.
 */
import { ExtraposError, show } from "../../../pe/errors.js";
import type { Engine } from "../../engine.js";

/** `x` must be an integer in [min, max]. */
export function requireInt(op: string, name: string, x: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(x) || x < min || x > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new ExtraposError("shape_mismatch", `${op}: \`${name}\` must be an integer ${range}, got ${show(x)}`);
  }
}

/** A float32 / int32 buffer of `count` elements at byte offset `ptr` must lie inside the engine memory. */
export function requireBuffer(engine: Engine, op: string, name: string, ptr: number, count: number): void {
  const bytes = engine.memory.buffer.byteLength;
  if (!Number.isInteger(ptr) || ptr <= 0 || ptr % 4 !== 0 || ptr + 4 * count > bytes) {
    throw new ExtraposError(
      "shape_mismatch",
      `${op}: \`${name}\` must be a 4-byte-aligned pointer to ${count} elements inside the ${bytes}-byte memory, got ${show(ptr)}`,
    );
  }
}

/**
 * Position ids (int32, randomized positions): `perBatch` → [B, T], else one row [T] shared by the
 * batch. Ids must be ≥ 0, < `limit`, and strictly increasing along T (sorted samples without
 * replacement, as Ruoss et al. draw them). Returns the batch stride the kernels take (T or 0).
 */
export function checkPositionIds(
  engine: Engine, op: string, ids: PositionIds, B: number, T: number, limit: number,
): number {
  const rows = ids.perBatch ? B : 1;
  requireBuffer(engine, op, "positions.ptr", ids.ptr, rows * T);
  const v = engine.i32(ids.ptr, rows * T);
  for (let b = 0; b < rows; b++) {
    for (let t = 0; t < T; t++) {
      const p = v[b * T + t]!;
      const prev = t > 0 ? v[b * T + t - 1]! : -1;
      if (p < 0 || p >= limit || p <= prev) {
        throw new ExtraposError(
          "invalid_argument",
          `${op}: position id [${b}, ${t}] must be in [0, ${limit}) and greater than the previous id ${prev}, got ${p}`,
          "position ids are sorted samples without replacement (randomized positions)",
        );
      }
    }
  }
  return ids.perBatch ? T : 0;
}

/** Position ids for randomized positions: int32 [B, T] (`perBatch`) or [T] shared by the batch. */
export interface PositionIds {
  /** Byte offset of the int32 ids in the engine memory. */
  ptr: number;
  /** true: one row of T ids per sequence ([B, T]); false: one row shared by the batch ([T]). */
  perBatch: boolean;
}

/**
 * Runs `run` with a scratch buffer of `floats` float32s: the caller's (`given`, checked) or a temporary
 * one from the engine arena, released afterwards.
 */
export function withScratch(engine: Engine, op: string, floats: number, given: number | undefined, run: (ptr: number) => void): void {
  if (given !== undefined) {
    requireBuffer(engine, op, "scratch", given, floats);
    run(given);
    return;
  }
  const mark = engine.mark();
  try {
    run(engine.alloc(4 * floats));
  } finally {
    engine.reset(mark);
  }
}
