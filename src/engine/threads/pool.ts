/**
 * The worker-thread engine: `threads − 1` workers plus the main thread, all running instances of the
 * same compiled kernel module on one shared WebAssembly.Memory. `parallelFor` wakes the workers
 * through a shared control block (Atomics.notify; see control.ts), runs thread 0's share on the
 * calling thread, then waits for the workers (a short spin, then Atomics.wait with timeouts, so a
 * dead worker becomes an error, never a hang).
 *
 * In a browser the engine must live in a Web Worker (a page's main thread may not block in
 * Atomics.wait) on a cross-origin-isolated page; `createEngine` falls back to the single-threaded
 * engine when `threads` is "auto" and either is missing.
 */
import { ExtraposError, show } from "../../pe/errors.js";
import { DEFAULT_SCRATCH_BYTES_PER_THREAD, kernelCrash, kernelFunction, SerialEngine, type Engine } from "../engine.js";
import type { KernelArgs, KernelName } from "../kernels/names.js";
import { createSharedMemory, kernelModule, kernelNames, sharedMemoryAvailable } from "../wasm.js";
import {
  ACK, ARGC, BEAT, controlBlock, DEAD_AFTER_MS, DONE, END, EPOCH, EXIT, KERNEL, MAX_ARGS, readMessage, SHUTDOWN, SPIN_US, spinWhile, START,
  STATUS, STATUS_OK, type ControlBlock,
} from "./control.js";
import { availableCores, canBlock, spawnWorker, type WorkerHandle } from "./spawn.js";
import { splitRange } from "./split.js";

export interface EngineOptions {
  /** Threads including the calling one; "auto" = available cores, or 1 without shared memory. */
  threads?: number | "auto";
  /** Private scratch per thread (bytes, multiple of 64). */
  scratchBytesPerThread?: number;
  /** Debug option: ops' glue checks their inputs and outputs for NaN/Inf (slower). */
  finiteChecks?: boolean;
  /** A worker that has not picked up a dispatch after this long is considered dead. */
  startTimeoutMs?: number;
  /** A kernel still running after this long is considered hung (its worker is then unusable). */
  runTimeoutMs?: number;
  /**
   * Browser only: URL of the pool's worker script (default: worker-browser.js beside the engine's
   * module, which Vite bundles by itself; with esbuild, the URL of the emitted extrapos/engine/worker entry).
   */
  workerUrl?: string | URL;
}

type ResolvedOptions = Required<Omit<EngineOptions, "workerUrl">> & Pick<EngineOptions, "workerUrl">;

export const DEFAULT_ENGINE_OPTIONS: ResolvedOptions = {
  workerUrl: undefined,
  threads: "auto",
  scratchBytesPerThread: DEFAULT_SCRATCH_BYTES_PER_THREAD,
  finiteChecks: false,
  startTimeoutMs: 10_000,
  runTimeoutMs: 600_000,
};

/** Longest single Atomics.wait while waiting for a worker (between liveness checks). */
const WAIT_SLICE_MS = 20;

/**
 * Creates the engine: `threads: 1` → SerialEngine (no workers); otherwise a ThreadedEngine.
 *
 * @example
 *   const engine = await createEngine({ threads: 2 });
 *   try { … engine.parallelFor("matmulAB", m, [c, a, b, 0, m, k, n, 0], 4); } finally { await engine.dispose(); }
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const o = validateOptions(options);
  const shareable = sharedMemoryAvailable() && canBlock();
  let threads: number;
  if (o.threads === "auto") {
    threads = shareable ? await availableCores() : 1;
  } else {
    threads = o.threads;
    if (threads > 1 && !shareable) {
      throw new ExtraposError(
        "invalid_config",
        `\`threads\` must be 1 here (shared memory or Atomics.wait is unavailable), got ${threads}`,
        "in a browser, serve the page with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`, and create the engine inside a Web Worker",
      );
    }
  }
  if (threads === 1) return new SerialEngine({ scratchBytesPerThread: o.scratchBytesPerThread, finiteChecks: o.finiteChecks });
  return ThreadedEngine.start(threads, o);
}

function validateOptions(options: EngineOptions): ResolvedOptions {
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULT_ENGINE_OPTIONS)) {
      throw new ExtraposError("invalid_config", `unknown engine option ${show(key)}`, `known options: ${Object.keys(DEFAULT_ENGINE_OPTIONS).join(", ")}`);
    }
  }
  const o = { ...DEFAULT_ENGINE_OPTIONS, ...stripUndefined(options) };
  if (o.threads !== "auto" && (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > 256)) {
    throw new ExtraposError("invalid_config", `\`threads\` must be "auto" or an integer in [1, 256], got ${show(o.threads)}`);
  }
  if (typeof o.finiteChecks !== "boolean") throw new ExtraposError("invalid_config", `\`finiteChecks\` must be true or false, got ${show(o.finiteChecks)}`);
  for (const key of ["startTimeoutMs", "runTimeoutMs"] as const) {
    if (!(typeof o[key] === "number" && o[key] > 0)) throw new ExtraposError("invalid_config", `\`${key}\` must be a positive number of milliseconds, got ${show(o[key])}`);
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class ThreadedEngine extends SerialEngine {
  override readonly threads: number;
  /** Engine.concurrent: every worker runs its range at the same time as the calling thread. */
  readonly concurrent = true;
  private readonly control: ControlBlock;
  private readonly names: Map<string, number>;
  private readonly workers: WorkerHandle[] = [];
  private readonly startTimeoutMs: number;
  private readonly runTimeoutMs: number;
  /** Why the pool can no longer be used (a worker died or hung), or undefined. */
  private broken: string | undefined;
  private disposed = false;

  private constructor(threads: number, o: ResolvedOptions) {
    super({ memory: createSharedMemory(), scratchBytesPerThread: o.scratchBytesPerThread, scratchThreads: threads, finiteChecks: o.finiteChecks });
    this.threads = threads;
    this.control = controlBlock(threads - 1);
    this.names = new Map(kernelNames(kernelModule("shared")).map((n, i) => [n, i]));
    this.startTimeoutMs = o.startTimeoutMs;
    this.runTimeoutMs = o.runTimeoutMs;
  }

  static async start(threads: number, o: ResolvedOptions): Promise<ThreadedEngine> {
    const engine = new ThreadedEngine(threads, o);
    const names = [...engine.names.keys()];
    try {
      for (let w = 1; w < threads; w++) {
        const init = {
          module: kernelModule("shared"), memory: engine.memory, control: engine.control.buffer, threads, index: w, names,
          scratchPtr: engine.scratchBase + w * engine.scratchBytesPerThread, scratchBytes: engine.scratchBytesPerThread,
        };
        const spawn = { startTimeoutMs: o.startTimeoutMs, ...(o.workerUrl !== undefined ? { workerUrl: o.workerUrl } : {}) };
        engine.workers.push(await spawnWorker(init, (why) => { if (!engine.disposed) engine.broken ??= why; }, spawn));
      }
    } catch (err) {
      await engine.dispose();
      const why = (err instanceof Error ? err.message : String(err)) || "no reason given by the platform";
      throw new ExtraposError("thread_crash", `could not start ${threads - 1} worker threads: ${why}`, "or create the engine with threads: 1");
    }
    return engine;
  }

  override parallelFor<K extends KernelName>(name: K, n: number, args: Readonly<KernelArgs[K]>, grain = 1, label?: string): void {
    const fn = kernelFunction(this.kernels, name);
    if (n <= 0) return;
    const ranges = splitRange(n, this.threads, grain);
    if (ranges.every((r, t) => t === 0 || r.start === r.end)) {
      super.parallelFor(name, n, args, grain, label); // one chunk: no need to wake anyone
      return;
    }
    if (this.disposed) throw new ExtraposError("thread_crash", `kernel ${name} called on a disposed engine`);
    if (this.broken) throw kernelCrash(name, args, label, "the thread pool", new Error(`${this.broken}; create a new engine`));
    if (args.length > MAX_ARGS) throw new ExtraposError("internal", `kernel ${name} has ${args.length} args, the pool passes at most ${MAX_ARGS}`);
    const ints = this.control.ints;
    Atomics.store(ints, KERNEL, this.names.get(name)!);
    Atomics.store(ints, ARGC, args.length);
    for (let i = 0; i < args.length; i++) this.control.args[i] = args[i]!;
    for (let w = 1; w < this.threads; w++) {
      const s = this.control.slot(w);
      Atomics.store(ints, s + START, ranges[w]!.start);
      Atomics.store(ints, s + END, ranges[w]!.end);
    }
    const epoch = (Atomics.load(ints, EPOCH) + 1) | 0;
    Atomics.store(ints, EPOCH, epoch);
    Atomics.notify(ints, EPOCH);

    let mainError: unknown;
    const r0 = ranges[0]!;
    if (r0.start < r0.end) {
      try {
        fn(...args, r0.start, r0.end);
      } catch (e) {
        mainError = e;
      }
    }
    const failures: string[] = [];
    if (mainError !== undefined) failures.push(describeFailure(0, r0, n, mainError));
    for (let w = 1; w < this.threads; w++) {
      const dead = this.waitForWorker(w, epoch);
      if (dead) {
        this.broken = dead;
        failures.push(dead);
      } else if (Atomics.load(ints, this.control.slot(w) + STATUS) !== STATUS_OK) {
        failures.push(describeFailure(w, ranges[w]!, n, readMessage(this.control, w)));
      }
    }
    if (failures.length > 0) throw kernelCrash(name, args, label, failures.join("; "));
  }

  /** Engine.setWorkerSpin: read by each worker every time it goes idle, and by this thread when it waits for them. */
  setWorkerSpin(microseconds: number): void {
    if (!(Number.isInteger(microseconds) && microseconds >= 0 && microseconds <= 1e6)) {
      throw new ExtraposError("invalid_argument", `setWorkerSpin: \`microseconds\` must be an integer in [0, 1e6], got ${show(microseconds)}`);
    }
    Atomics.store(this.control.ints, SPIN_US, microseconds);
  }

  /** Waits until worker w finished `epoch`; returns why it is considered dead, or undefined. */
  private waitForWorker(w: number, epoch: number): string | undefined {
    const ints = this.control.ints;
    const done = this.control.slot(w) + DONE;
    // DONE holds the previous epoch until the worker finishes this one
    if (spinWhile(ints, done, (epoch - 1) | 0) === epoch) return undefined;
    const t0 = Date.now();
    let beat = Atomics.load(ints, this.control.slot(w) + BEAT), beatAt = t0;
    for (;;) {
      const v = Atomics.load(ints, done);
      if (v === epoch) return undefined;
      const t = Date.now(), elapsed = t - t0;
      const acked = Atomics.load(ints, this.control.slot(w) + ACK) === epoch;
      const b = Atomics.load(ints, this.control.slot(w) + BEAT);
      if (b !== beat) { beat = b; beatAt = t; }
      if (!acked && (elapsed > this.startTimeoutMs || this.broken)) {
        return `worker ${w} did not pick up the work within ${this.startTimeoutMs} ms (${this.broken ?? "it died or is blocked"})`;
      }
      if (!acked && t - beatAt > DEAD_AFTER_MS) {
        return `worker ${w} stopped: no heartbeat for ${t - beatAt} ms and it did not pick up the work (the browser ended it, e.g. out of memory, or it was terminated)`;
      }
      if (elapsed > this.runTimeoutMs) return `worker ${w} was still running after ${this.runTimeoutMs} ms (hung)`;
      Atomics.wait(ints, done, v, WAIT_SLICE_MS);
    }
  }

  override async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.control.ints, SHUTDOWN, 1);
    Atomics.add(this.control.ints, EPOCH, 1);
    Atomics.notify(this.control.ints, EPOCH);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }

  /**
   * Test hook: stops worker `w` without telling the pool (simulates a crashed thread): tells it to
   * leave its loop (a browser's terminate() does not stop a worker blocked in its wait loop), then
   * terminates it.
   */
  async killWorkerForTesting(w: number): Promise<void> {
    const worker = this.workers[w - 1];
    if (worker === undefined) throw new ExtraposError("invalid_argument", `killWorkerForTesting: no worker ${show(w)} (workers are 1…${this.workers.length})`);
    Atomics.store(this.control.ints, this.control.slot(w) + EXIT, 1);
    Atomics.notify(this.control.ints, EPOCH);
    await worker.terminate();
  }
}

function describeFailure(thread: number, r: { start: number; end: number }, n: number, cause: unknown): string {
  const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return `thread ${thread}, range [${r.start}, ${r.end}) of ${n}: ${why}`;
}
