/**
 * Boundary checks shared by the kernel glue (src/engine/kernels/<op>/<op>.ts): sizes must be
 * positive integers and every buffer must lie inside the shared memory, float32-aligned. Errors name
 * the operation, the argument and the shapes, e.g.
 * "layerNormForward: `inp` [N=4, C=8] at byte 1000000 ends past the 65536-byte memory".
 */
import { ExtraposError } from "../../pe/errors.js";
import type { Engine } from "../engine.js";

/** Throws unless `value` is an integer ≥ `min` (default 1). */
export function checkSize(op: string, name: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ExtraposError("shape_mismatch", `${op}: size ${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/** Throws unless [ptr, ptr + 4·elements) is a 4-byte-aligned range inside the engine's memory. */
export function checkBuffer(engine: Engine, op: string, name: string, ptr: number, elements: number, shape: string, bytesPerElement = 4): void {
  const bytes = elements * bytesPerElement;
  const have = engine.memory.buffer.byteLength;
  if (!Number.isInteger(ptr) || ptr <= 0 || ptr % Math.min(4, bytesPerElement) !== 0) {
    throw new ExtraposError("invalid_argument", `${op}: \`${name}\` ${shape} must be a non-null ${Math.min(4, bytesPerElement)}-byte-aligned pointer, got ${ptr}`);
  }
  if (ptr + bytes > have) {
    throw new ExtraposError("shape_mismatch", `${op}: \`${name}\` ${shape} at byte ${ptr} (${bytes} bytes) ends past the ${have}-byte memory`);
  }
}

/** Like checkBuffer, but 0 (absent) is allowed. */
export function checkOptionalBuffer(engine: Engine, op: string, name: string, ptr: number, elements: number, shape: string, bytesPerElement = 4): void {
  if (ptr !== 0) checkBuffer(engine, op, name, ptr, elements, shape, bytesPerElement);
}

/** Throws unless `x` is a finite number (hyper-parameters, scales). */
export function checkFiniteScalar(op: string, name: string, x: number, constraint: (x: number) => boolean = () => true, what = "a finite number"): void {
  if (typeof x !== "number" || !Number.isFinite(x) || !constraint(x)) {
    throw new ExtraposError("invalid_argument", `${op}: \`${name}\` must be ${what}, got ${x}`);
  }
}

/** Throws unless every int32 index in [ptr, ptr + 4n) lies in [lo, hi). Names the first bad position. */
export function checkIndices(engine: Engine, op: string, name: string, ptr: number, n: number, lo: number, hi: number, shape: string): void {
  const ids = engine.i32(ptr, n);
  for (let i = 0; i < n; i++) {
    const t = ids[i]!;
    if (t < lo || t >= hi) {
      throw new ExtraposError("invalid_argument", `${op}: \`${name}\` ${shape} must hold integers in [${lo}, ${hi}), got ${t} at position ${i}`);
    }
  }
}
