/**
 * The memory planner: a tensor table (ordered `{name, shape, dtype}`) becomes one arena in the shared
 * WebAssembly.Memory — every tensor at a 64-byte-aligned offset, allocated once — so that a steady-state
 * step allocates nothing and never copies through JS (style.md P5, as llm.c does).
 *
 * Training state: parameters, their gradients and AdamW's m and v are four arenas of the same plan,
 * so tensor i sits at the same offset in each and an optimizer may run over each arena as one flat
 * float32 array of `totalBytes / 4` elements (the alignment padding is zero in all four and stays zero).
 *
 * A shape other than the planned one is refused with both shapes in the message (`expectShape`);
 * evaluating at another length means planning again, explicitly.
 */
import { ExtraposError, show } from "../../pe/errors.js";
import type { Engine } from "../engine.js";

export type DType = "f32" | "i32";

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface PlannedTensor extends TensorSpec {
  /** Byte offset from the start of the arena (a multiple of ARENA_ALIGN). */
  readonly offset: number;
  readonly elements: number;
  readonly bytes: number;
}

export interface ArenaPlan {
  readonly tensors: readonly PlannedTensor[];
  /** Bytes of the whole arena (a multiple of ARENA_ALIGN). */
  readonly totalBytes: number;
  readonly byName: ReadonlyMap<string, PlannedTensor>;
}

/** A tensor in the engine's memory as kernels' glue takes it: a byte offset and a shape. */
export interface TensorRef {
  readonly ptr: number;
  readonly shape: readonly number[];
}

/** Alignment of every tensor: a cache line, and a multiple of the 16-byte SIMD width. */
export const ARENA_ALIGN = 64;
const DTYPE_BYTES: Record<DType, number> = { f32: 4, i32: 4 };

/**
 * Lays out `table` in order, each tensor 64-byte aligned.
 *
 * @example
 *   planArena([{ name: "wte", shape: [256, 128], dtype: "f32" }, { name: "b", shape: [3], dtype: "f32" }])
 *   // → offsets 0 and 131072, totalBytes 131136
 */
export function planArena(table: readonly TensorSpec[]): ArenaPlan {
  const tensors: PlannedTensor[] = [];
  const byName = new Map<string, PlannedTensor>();
  let offset = 0;
  for (const spec of table) {
    validateSpec(spec);
    if (byName.has(spec.name)) throw new ExtraposError("invalid_argument", `tensor table has two tensors named ${show(spec.name)}`);
    const elements = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = elements * DTYPE_BYTES[spec.dtype];
    const t: PlannedTensor = { name: spec.name, shape: [...spec.shape], dtype: spec.dtype, offset, elements, bytes };
    tensors.push(t);
    byName.set(t.name, t);
    offset = Math.ceil((offset + bytes) / ARENA_ALIGN) * ARENA_ALIGN;
  }
  return { tensors, totalBytes: offset, byName };
}

function validateSpec(spec: TensorSpec): void {
  if (typeof spec.name !== "string" || spec.name === "") throw new ExtraposError("invalid_argument", `tensor name must be a non-empty string, got ${show(spec.name)}`);
  if (spec.dtype !== "f32" && spec.dtype !== "i32") throw new ExtraposError("invalid_argument", `tensor ${show(spec.name)}: dtype must be "f32" or "i32", got ${show(spec.dtype)}`);
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ExtraposError("invalid_argument", `tensor ${show(spec.name)}: shape must be a list of non-negative integers, got ${show(spec.shape)}`);
  }
}

/** "[2, 3]" — how shapes appear in error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Throws shape_mismatch naming the operation, the tensor and both shapes unless they are equal. */
export function expectShape(op: string, what: string, got: readonly number[], planned: readonly number[]): void {
  if (got.length === planned.length && got.every((d, i) => d === planned[i])) return;
  throw new ExtraposError("shape_mismatch", `${op}: \`${what}\` has shape ${formatShape(got)} but the plan has ${formatShape(planned)}`,
    "plan again for the new shape (e.g. a new evaluation length) instead of reusing the old plan");
}

/** One planned arena placed in an engine's memory (allocated once, at construction). */
export class Arena {
  readonly plan: ArenaPlan;
  /** Byte offset of the arena in the engine's memory. */
  readonly base: number;
  private readonly engine: Engine;

  /**
   * Every tensor starts zeroed, except those `uninitialized(name)` names: tensors always written
   * before they are read (a KV cache's slabs), whose pages then stay untouched — not resident —
   * until used.
   */
  constructor(engine: Engine, plan: ArenaPlan, uninitialized?: (name: string) => boolean) {
    this.engine = engine;
    this.plan = plan;
    this.base = engine.alloc(plan.totalBytes, ARENA_ALIGN);
    if (uninitialized === undefined) {
      this.zero();
      return;
    }
    // zero everything between the skipped tensors (padding included)
    let from = 0;
    const fill = (to: number): void => void engine.f32(this.base + from, (to - from) / 4).fill(0);
    for (const t of plan.tensors) {
      if (!uninitialized(t.name)) continue;
      fill(t.offset);
      from = t.offset + t.bytes;
    }
    fill(plan.totalBytes);
  }

  tensor(name: string): PlannedTensor {
    const t = this.plan.byName.get(name);
    if (!t) throw new ExtraposError("invalid_argument", `no tensor named ${show(name)} in the plan`, `planned: ${[...this.plan.byName.keys()].join(", ")}`);
    return t;
  }

  /** Byte offset of tensor `name` in the engine's memory (what kernels take). */
  ptr(name: string): number {
    return this.base + this.tensor(name).offset;
  }

  /** Pointer to `name` after checking that the caller's shape is the planned one. */
  checkedPtr(op: string, name: string, shape: readonly number[]): number {
    const t = this.tensor(name);
    expectShape(op, name, shape, t.shape);
    return this.base + t.offset;
  }

  /** Tensor `name` as a TensorRef (pointer + planned shape) for kernel glue. */
  ref(name: string): TensorRef {
    const t = this.tensor(name);
    return { ptr: this.base + t.offset, shape: t.shape };
  }

  f32(name: string): Float32Array {
    const t = this.tensor(name);
    if (t.dtype !== "f32") throw new ExtraposError("invalid_argument", `tensor ${show(name)} is ${t.dtype}, not f32`);
    return this.engine.f32(this.base + t.offset, t.elements);
  }

  i32(name: string): Int32Array {
    const t = this.tensor(name);
    if (t.dtype !== "i32") throw new ExtraposError("invalid_argument", `tensor ${show(name)} is ${t.dtype}, not i32`);
    return this.engine.i32(this.base + t.offset, t.elements);
  }

  /** The whole arena as float32 (padding included): what a flat optimizer step runs over. */
  flatF32(): Float32Array {
    return this.engine.f32(this.base, this.plan.totalBytes / 4);
  }

  /** Sets every byte to zero (e.g. gradients once per step). */
  zero(): void {
    this.flatF32().fill(0);
  }
}

export interface TrainingState {
  readonly params: Arena;
  /** Same plan as params; accumulated with `+=`, zeroed once per step. */
  readonly grads: Arena;
  /** AdamW first and second moments: same plan, so flat index i matches params' flat index i. */
  readonly m: Arena;
  readonly v: Arena;
  /** Flat float32 length of each arena (padding included). */
  readonly flatLength: number;
}

/**
 * Plans and allocates parameters, gradients and AdamW m, v from one parameter table (all f32).
 *
 * @example
 *   const s = allocTrainingState(engine, [{ name: "w", shape: [3, 4], dtype: "f32" }]);
 *   s.params.f32("w").fill(0.5); // s.grads.ptr("w") is where its gradient accumulates
 */
export function allocTrainingState(engine: Engine, table: readonly TensorSpec[]): TrainingState {
  for (const t of table) {
    if (t.dtype !== "f32") throw new ExtraposError("invalid_argument", `parameter ${show(t.name)} must be f32, got ${show(t.dtype)}`);
  }
  const plan = planArena(table);
  const params = new Arena(engine, plan), grads = new Arena(engine, plan), m = new Arena(engine, plan), v = new Arena(engine, plan);
  return { params, grads, m, v, flatLength: plan.totalBytes / 4 };
}
