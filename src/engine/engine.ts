/**
 * The engine contract every kernel's glue code is written against.
 *
 * Size legend used across engine files: B batch, T time (sequence), C channels (d_model),
 * NH heads, HS head size (C/NH), V vocabulary, OC output channels.
 *
 * Kernel calling convention (AssemblyScript side, src/engine/kernels/<op>/<op>.as.ts):
 *   export function <op>(...pointers and sizes..., start: i32, end: i32): void
 * Pointers are byte offsets into the one shared WebAssembly.Memory. `start`/`end` select the part
 * of the op's parallel dimension (rows, batch×heads, chunks) that one call computes; calls on
 * disjoint ranges must never write the same bytes, so the thread pool can split [0, n) across
 * threads. Reductions write one partial per row/chunk to an output array that the caller sums in
 * float64 (deterministic for any split).
 *
 * Accumulate convention: parameter gradients `+=` (zeroed once per step); activation gradients `=`
 * except on the residual stream, where they `+=`.
 *
 * This file holds the single-threaded reference implementation of the contract (`SerialEngine`);
 * the worker-thread pool implements the same interface.
 */
import { ExtraposError } from "../pe/errors.js";
import { createSharedMemory, instantiateKernels, WASM_PAGE_BYTES, type KernelExports } from "./wasm.js";

export interface Engine {
  readonly memory: WebAssembly.Memory;
  /** Kernel exports of the main thread's instance. */
  readonly kernels: KernelExports;
  /** Number of threads `parallelFor` uses (1 for SerialEngine). */
  readonly threads: number;
  /**
   * Runs kernel `name` with `args` followed by (start, end), over [0, n) split into at most
   * `threads` contiguous ranges (ranges are multiples of `grain`, default 1). Returns when all are done.
   */
  parallelFor(name: string, n: number, args: readonly number[], grain?: number): void;
  /** Reserves `bytes` (aligned to `align`, default 64) in the shared memory; returns the byte offset. */
  alloc(bytes: number, align?: number): number;
  /** Releases everything allocated after `mark` (a value returned by `mark()`). */
  reset(mark: number): void;
  /** The current allocation top (for reset). */
  mark(): number;
  /** Views (re-created when memory grows; never keep them across alloc calls). */
  f32(ptr: number, length: number): Float32Array;
  i32(ptr: number, length: number): Int32Array;
  /** Stops the worker threads (no-op for SerialEngine). */
  dispose(): Promise<void> | void;
}

export class SerialEngine implements Engine {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  readonly threads = 1;
  private top: number;

  constructor(memory: WebAssembly.Memory = createSharedMemory()) {
    this.memory = memory;
    this.kernels = instantiateKernels(memory);
    this.top = alignUp(this.kernels.heapBase(), 64);
  }

  parallelFor(name: string, n: number, args: readonly number[]): void {
    const fn = this.kernels[name];
    if (typeof fn !== "function") throw new ExtraposError("internal", `no kernel named ${name} in the wasm module`);
    if (n > 0) fn(...args, 0, n);
  }

  alloc(bytes: number, align = 64): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new ExtraposError("internal", `alloc: bad size ${bytes}`);
    const ptr = alignUp(this.top, align);
    const end = ptr + bytes;
    ensureCapacity(this.memory, end);
    this.top = end;
    return ptr;
  }

  mark(): number {
    return this.top;
  }

  reset(mark: number): void {
    this.top = mark;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  dispose(): void {}
}

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** Grows the shared memory so that byte `end` is addressable; refuses beyond the 4 GiB wasm32 limit. */
export function ensureCapacity(memory: WebAssembly.Memory, end: number): void {
  const have = memory.buffer.byteLength;
  if (end <= have) return;
  const pages = Math.ceil((end - have) / WASM_PAGE_BYTES);
  try {
    memory.grow(pages);
  } catch {
    throw new ExtraposError(
      "out_of_memory",
      `cannot grow wasm memory to ${(end / 2 ** 20).toFixed(1)} MiB (have ${(have / 2 ** 20).toFixed(1)} MiB, limit 4096 MiB)`,
      "use a shorter window, a smaller batch or a smaller model",
    );
  }
}
