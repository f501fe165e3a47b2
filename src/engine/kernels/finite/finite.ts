/**
 * NaN/Inf check (a debug option: engines created with `finiteChecks: true` run it on the inputs and
 * outputs of the ops whose glue calls `checkFiniteIf`). Scans in parallel; the error names the
 * operation, the tensor, its shape and the first bad index and value.
 */
import { ExtraposError } from "../../../pe/errors.js";
import type { Engine } from "../../engine.js";
import { formatShape, type TensorRef } from "../../memory/plan.js";
import { NON_FINITE_SCAN } from "../names.js";

const CHUNK = 16384;

/** Index of the first NaN/±Inf among x[0…n) (float32 at byte offset `ptr`), or -1. */
export function firstNonFinite(engine: Engine, ptr: number, n: number): number {
  if (n <= 0) return -1;
  const chunks = Math.ceil(n / CHUNK);
  const mark = engine.mark();
  try {
    const out = engine.alloc(4 * chunks);
    engine.parallelFor(NON_FINITE_SCAN, n, [ptr, out, CHUNK], CHUNK, "checkFinite");
    const res = engine.i32(out, chunks);
    for (let q = 0; q < chunks; q++) if (res[q]! >= 0) return res[q]!;
    return -1;
  } finally {
    engine.reset(mark);
  }
}

/**
 * Throws `non_finite` if x[0…n) holds a NaN or ±Inf, naming `opName` and the shape.
 *
 * @example
 *   checkFinite(engine, ptr, 6, "linearForward `inp`", [2, 3]);
 */
export function checkFinite(engine: Engine, ptr: number, n: number, opName: string, shape: readonly number[] = [n]): void {
  const i = firstNonFinite(engine, ptr, n);
  if (i < 0) return;
  const v = engine.f32(ptr + 4 * i, 1)[0];
  throw new ExtraposError("non_finite", `${opName}: tensor of shape ${formatShape(shape)} holds ${v} at flat index ${i}`,
    "a NaN/Inf usually comes from a too-large learning rate, a bad input value or an op upstream; check its inputs");
}

/** Runs checkFinite on each named tensor when the engine was created with `finiteChecks: true`. */
export function checkFiniteIf(engine: Engine, op: string, tensors: Record<string, TensorRef | undefined>): void {
  if (!engine.finiteChecks) return;
  for (const [name, t] of Object.entries(tensors)) {
    if (t) checkFinite(engine, t.ptr, t.shape.reduce((a, b) => a * b, 1), `${op} \`${name}\``, t.shape);
  }
}
