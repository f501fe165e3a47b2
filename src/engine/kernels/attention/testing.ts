/**
 * Test helpers for the attention-family kernels: buffers in a SerialEngine, seeded random fills,
 * and the elementwise `abs + rel·|ref|` comparison that reports the worst index.
 */
import assert from "node:assert/strict";
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

/** Asserts |got − ref| ≤ abs + rel·|ref| elementwise; the message names the worst index. */
export function assertClose(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, abs: number, rel: number): void {
  assert.equal(got.length, ref.length, `${what}: length ${got.length} vs reference ${ref.length}`);
  let worst = -1, worstExcess = 0, maxDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!);
    const excess = d - (abs + rel * Math.abs(ref[i]!));
    if (!(d <= abs + rel * Math.abs(ref[i]!)) && (worst < 0 || excess > worstExcess || Number.isNaN(d))) { worst = i; worstExcess = excess; }
    if (d > maxDiff) maxDiff = d;
  }
  assert.ok(worst < 0, `${what}: index ${worst}: got ${got[worst]}, reference ${ref[worst]} (max |diff| ${maxDiff})`);
}

/** Central finite difference of `f` at `x` along coordinate i (float64). */
export function finiteDiff(f: (x: Float64Array) => number, x: Float64Array, i: number, h = 1e-5): number {
  const keep = x[i]!;
  x[i] = keep + h; const up = f(x);
  x[i] = keep - h; const down = f(x);
  x[i] = keep;
  return (up - down) / (2 * h);
}
