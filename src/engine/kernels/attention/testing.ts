/**
 * Test helpers for the attention-family kernels: buffers in a SerialEngine, seeded random fills,
 * and the elementwise `abs + rel·|ref|` comparison that reports the worst index.
 */
import type { Engine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";

/** Allocates a float32 buffer of `n` elements filled from `fill` (or zeros); returns its pointer. */
export function f32Buffer(engine: Engine, n: number, fill?: ArrayLike<number>): number {
  const ptr = engine.alloc(4 * Math.max(n, 1));
  const v = engine.f32(ptr, n);
  if (fill) v.set(fill); else v.fill(0);
  return ptr;
}

export function i32Buffer(engine: Engine, values: ArrayLike<number>): number {
  const ptr = engine.alloc(4 * Math.max(values.length, 1));
  engine.i32(ptr, values.length).set(values);
  return ptr;
}

/** `n` float32-representable values, uniform in [−scale, scale). */
export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.float() - 1) * scale;
  return out;
}

/** Sorted distinct ids from [0, limit), `rows` rows of T (randomized positions). */
export function randomPositions(rng: Rng, rows: number, T: number, limit: number): Int32Array {
  const out = new Int32Array(rows * T);
  for (let r = 0; r < rows; r++) {
    const picked = new Set<number>();
    while (picked.size < T) picked.add(rng.int(limit));
    out.set([...picked].sort((a, b) => a - b), r * T);
  }
  return out;
}

/** The test kit's comparison (src/testing/assert-close.ts), re-exported for the kernel tests. */
export { assertClose } from "../../../testing/assert-close.js";
