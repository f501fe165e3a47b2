/**
 * The shared control block through which the main thread dispatches kernels to the workers
 * (platform-free: used by the pool and by the worker loop, in Node and in browsers).
 *
 * Protocol, one dispatch ("epoch"):
 *   main:   writes KERNEL, ARGC, the args (float64) and each worker's [START, END), then increments
 *           EPOCH and notifies it; runs its own share; then waits on each worker's DONE.
 *   worker: waits until EPOCH changes (a short spin, then Atomics.wait), stores ACK = epoch, runs
 *           kernel(args…, start, end) if its range is non-empty, stores STATUS (0 ok, 1 trapped,
 *           with the message in its MSG area), then DONE = epoch and notifies DONE.
 * ACK lets the main thread tell a dead worker (never acknowledges) from a long kernel. While idle, a
 * worker wakes every HEARTBEAT_MS and increments its BEAT: a worker whose BEAT stopped moving before it
 * acknowledged is dead (a browser reports no exit of a worker; Node does, and also gets this check).
 * SHUTDOWN set before an epoch makes the workers return from their loop.
 */
export const EPOCH = 0;
export const KERNEL = 1;
export const ARGC = 2;
export const SHUTDOWN = 3;
/** Microseconds the threads spin before they block (0 = SPIN_ITERATIONS iterations); the pool's `setWorkerSpin`. */
export const SPIN_US = 4;
const HEADER_INTS = 16;

/** Per-worker slot fields (Int32 offsets inside the slot). */
export const START = 0;
export const END = 1;
export const ACK = 2;
export const DONE = 3;
export const STATUS = 4;
export const MSG_LEN = 5;
export const BEAT = 6;
/** Set (with a wake of EPOCH) to make one worker leave its loop: how the pool stops a single worker. */
export const EXIT = 7;
const SLOT_INTS = 8;

export const MAX_ARGS = 32;
/** UTF-16 code units of error message kept per worker. */
export const MSG_UNITS = 512;

export const STATUS_OK = 0;
export const STATUS_TRAPPED = 1;

export interface ControlBlock {
  readonly buffer: SharedArrayBuffer;
  readonly ints: Int32Array;
  readonly args: Float64Array;
  /** Index of worker w's slot start in `ints` (workers are numbered 1…threads−1). */
  slot(w: number): number;
  message(w: number): Uint16Array;
}

function layout(workers: number): { argsByte: number; msgByte: number; bytes: number } {
  const ints = HEADER_INTS + SLOT_INTS * (workers + 1);
  const argsByte = Math.ceil((4 * ints) / 8) * 8;
  const msgByte = argsByte + 8 * MAX_ARGS;
  return { argsByte, msgByte, bytes: msgByte + 2 * MSG_UNITS * (workers + 1) };
}

/** Creates (buffer omitted) or attaches to (in a worker) the control block for `workers` workers. */
export function controlBlock(workers: number, buffer?: SharedArrayBuffer): ControlBlock {
  const l = layout(workers);
  const buf = buffer ?? new SharedArrayBuffer(l.bytes);
  const ints = new Int32Array(buf, 0, l.argsByte / 4);
  const args = new Float64Array(buf, l.argsByte, MAX_ARGS);
  const msgs = new Uint16Array(buf, l.msgByte, MSG_UNITS * (workers + 1));
  return {
    buffer: buf,
    ints,
    args,
    slot: (w) => HEADER_INTS + SLOT_INTS * w,
    message: (w) => msgs.subarray(MSG_UNITS * w, MSG_UNITS * (w + 1)),
  };
}

export function writeMessage(cb: ControlBlock, w: number, text: string): void {
  const m = cb.message(w);
  const n = Math.min(text.length, MSG_UNITS);
  for (let i = 0; i < n; i++) m[i] = text.charCodeAt(i);
  Atomics.store(cb.ints, cb.slot(w) + MSG_LEN, n);
}

export function readMessage(cb: ControlBlock, w: number): string {
  const n = Atomics.load(cb.ints, cb.slot(w) + MSG_LEN);
  return String.fromCharCode(...cb.message(w).subarray(0, n));
}

/** What a worker needs to start (sent as Node `workerData` or as the first browser message). */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  /** Total threads including the main thread; this worker is `index` (1…threads−1). */
  readonly threads: number;
  readonly index: number;
  readonly names: readonly string[];
  readonly scratchPtr: number;
  readonly scratchBytes: number;
}

/** How often an idle worker increments its BEAT. */
export const HEARTBEAT_MS = 100;
/** A worker whose BEAT has not moved for this long (and that has not acknowledged) is dead. */
export const DEAD_AFTER_MS = 5000;

/** Spin iterations before a blocking wait (a few microseconds; keeps back-to-back ops cheap). */
export const SPIN_ITERATIONS = 2000;

/**
 * Spins until `ints[index]` ≠ `seen`, for SPIN_ITERATIONS loads, or for `ints[SPIN_US]` microseconds
 * when that is set (timed: a loop's speed is not known); returns the last value read.
 */
export function spinWhile(ints: Int32Array, index: number, seen: number): number {
  let v = Atomics.load(ints, index);
  const us = Atomics.load(ints, SPIN_US);
  if (us === 0) {
    for (let i = 0; v === seen && i < SPIN_ITERATIONS; i++) v = Atomics.load(ints, index);
    return v;
  }
  const until = performance.now() + us / 1000;
  while (v === seen) {
    for (let i = 0; v === seen && i < 64; i++) v = Atomics.load(ints, index);
    if (performance.now() > until) break;
  }
  return v;
}
