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
 * Per-thread scratch: each thread owns `scratchBytesPerThread` bytes (kernels read their range with
 * `threadScratch()` from memory/scratch.as.ts), reserved once at creation.
 *
 * This file holds the single-threaded implementation of the contract (`SerialEngine`); the
 * worker-thread pool (threads/pool.ts: `createEngine`, `ThreadedEngine`) extends it. See docs/engine.md.
 */
import { ExtraposError } from "../pe/errors.js";
import type { KernelArgs, KernelName } from "./kernels/names.js";
import { createSharedMemory, createUnsharedMemory, instantiateKernels, sharedMemoryAvailable, WASM_PAGE_BYTES, type KernelExports } from "./wasm.js";

/** Bytes of private scratch each thread gets at engine creation (matmul packs its panels there). */
export const DEFAULT_SCRATCH_BYTES_PER_THREAD = 1 << 20;

export interface Engine {
  readonly memory: WebAssembly.Memory;
  /** Kernel exports of the main thread's instance. */
  readonly kernels: KernelExports;
  /** Number of threads `parallelFor` uses (1 for SerialEngine). */
  readonly threads: number;
  /** Size of each thread's private scratch range (kernels read it with `threadScratch()`). */
  readonly scratchBytesPerThread: number;
  /**
   * Smallest share of an op worth giving a thread, in values touched (see `workGrain`); undefined →
   * MIN_VALUES_PER_THREAD. Tests set 0 to force splitting of small inputs.
   */
  readonly minValuesPerThread?: number;
  /**
   * True when `parallelFor` runs the threads' ranges at the same time (the worker pool), so that one
   * kernel's calls may wait for each other (decode-program.ts's barriers); absent or false when they
   * may run one after another (SerialEngine needs none: one thread).
   */
  readonly concurrent?: boolean;
  /** Debug option: glue checks inputs/outputs for NaN/Inf (kernels/finite/finite.ts `checkFiniteIf`). */
  readonly finiteChecks: boolean;
  /**
   * Runs kernel `name` with `args` followed by (start, end), over [0, n) split into at most
   * `threads` contiguous ranges (ranges are multiples of `grain`, default 1; see `splitRange`).
   * Returns when all are done. A trap in any thread throws `ExtraposError("thread_crash")` naming the
   * kernel, its args and `label` (e.g. "matmul NT [64,128]·[256,128]ᵀ"), after every thread finished.
   */
  parallelFor<K extends KernelName>(name: K, n: number, args: Readonly<KernelArgs[K]>, grain?: number, label?: string): void;
  /** Reserves `bytes` (aligned to `align`, default 64) in the shared memory; returns the byte offset. */
  alloc(bytes: number, align?: number): number;
  /** Releases everything allocated after `mark` (a value returned by `mark()`). */
  reset(mark: number): void;
  /** The current allocation top (for reset). */
  mark(): number;
  /** Views (re-created when memory grows; never keep them across alloc calls). */
  f32(ptr: number, length: number): Float32Array;
  i32(ptr: number, length: number): Int32Array;
  /**
   * How long the pool's threads spin before they block, in microseconds (0 = the default: a few
   * microseconds). A caller that dispatches many short kernels with a little JavaScript between them
   * (a decoding step) raises it, so that the workers are still awake at the next call (a wake-up from
   * a blocking wait costs tens of microseconds). Absent without worker threads.
   */
  setWorkerSpin?(microseconds: number): void;
  /** Stops the worker threads (no-op for SerialEngine). */
  dispose(): Promise<void> | void;
}

export interface SerialEngineOptions {
  /** Default: a new shared memory when the environment allows it, else an ordinary one. */
  memory?: WebAssembly.Memory;
  /** Default DEFAULT_SCRATCH_BYTES_PER_THREAD. */
  scratchBytesPerThread?: number;
  /** Scratch ranges to reserve (one per thread); the threaded engine passes its thread count. */
  scratchThreads?: number;
  /** Default false. */
  finiteChecks?: boolean;
}

/**
 * The single-threaded engine (also the base of the threaded one: allocation, views and the main
 * thread's instance live here). Works on an ordinary memory where shared memory is unavailable.
 *
 * @example
 *   const e = new SerialEngine();
 *   const p = e.alloc(4 * 3);
 *   e.f32(p, 3).set([1, 2, 3]);
 */
export class SerialEngine implements Engine {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  readonly threads: number = 1;
  readonly scratchBytesPerThread: number;
  readonly finiteChecks: boolean;
  /** Start of thread t's scratch is scratchBase + t · scratchBytesPerThread. */
  protected readonly scratchBase: number;
  private top: number;

  constructor(memoryOrOptions?: WebAssembly.Memory | SerialEngineOptions) {
    const o: SerialEngineOptions = memoryOrOptions instanceof WebAssembly.Memory ? { memory: memoryOrOptions } : (memoryOrOptions ?? {});
    this.memory = o.memory ?? (sharedMemoryAvailable() ? createSharedMemory() : createUnsharedMemory());
    this.kernels = instantiateKernels(this.memory);
    this.top = alignUp(this.kernels.heapBase(), 64);
    const scratch = o.scratchBytesPerThread ?? DEFAULT_SCRATCH_BYTES_PER_THREAD;
    if (!Number.isInteger(scratch) || scratch < 0 || scratch % 64 !== 0) {
      throw new ExtraposError("invalid_argument", `\`scratchBytesPerThread\` must be a non-negative multiple of 64, got ${scratch}`);
    }
    this.scratchBytesPerThread = scratch;
    this.finiteChecks = o.finiteChecks ?? false;
    this.scratchBase = this.alloc(scratch * (o.scratchThreads ?? 1));
    this.kernels.setThreadScratch(this.scratchBase, scratch);
  }

  parallelFor<K extends KernelName>(name: K, n: number, args: Readonly<KernelArgs[K]>, _grain = 1, label?: string): void {
    const fn = kernelFunction(this.kernels, name);
    if (n <= 0) return;
    try {
      fn(...args, 0, n);
    } catch (e) {
      throw kernelCrash(name, args, label, `thread 0, range [0, ${n})`, e);
    }
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

  dispose(): Promise<void> | void {}
}

/** The exported function `name`, or an error listing what the module has. */
export function kernelFunction(kernels: KernelExports, name: string): (...args: number[]) => number | void {
  const fn = kernels[name];
  if (typeof fn !== "function") throw new ExtraposError("internal", `no kernel named ${JSON.stringify(name)} in the wasm module`);
  return fn;
}

/** The error for a kernel that trapped (or a thread that died) while running `name(args…)`. */
export function kernelCrash(name: string, args: readonly number[], label: string | undefined, where: string, cause?: unknown): ExtraposError {
  const why = cause === undefined ? "" : `: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`;
  const what = label ? `${label} (kernel ${name})` : `kernel ${name}`;
  return new ExtraposError(
    "thread_crash",
    `${what} with args [${args.join(", ")}] failed on ${where}${why}`,
    "an out-of-bounds pointer or size usually means a buffer was planned for another shape",
  );
}

/**
 * Work below which splitting across threads costs more than it saves (waking a worker and joining it
 * is worth a few microseconds). Measured in float values touched by the kernel.
 */
export const MIN_VALUES_PER_THREAD = 16384;

/**
 * The `grain` for `parallelFor` over units that each touch `valuesPerUnit` values: a multiple of
 * `align` large enough that no thread gets less than MIN_VALUES_PER_THREAD values, so small ops
 * (one LSTM time step, one decoding step) run on the calling thread instead of waking the pool.
 * The split — and so the result bytes — depend only on n, the thread count and this grain.
 *
 * Example: `engine.parallelFor(name, B, args, workGrain(engine, 4 * H))`
 */
export function workGrain(engine: Engine, valuesPerUnit: number, align = 1): number {
  const min = engine.minValuesPerThread ?? MIN_VALUES_PER_THREAD;
  const units = Math.ceil(min / Math.max(1, valuesPerUnit));
  return alignUp(Math.max(units, align), align);
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
