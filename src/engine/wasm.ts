/**
 * Loads the kernel module (built from src/engine/kernels/index.as.ts, embedded as base64) onto a
 * WebAssembly.Memory. The same compiled module is instantiated once per thread on the same shared
 * memory; instances share nothing else (the stub runtime keeps no state in linear memory; the only
 * per-instance state is the thread's scratch range, see memory/scratch.as.ts).
 *
 * Two builds of the same kernels exist: `shared` (imports a shared memory; needed by worker threads)
 * and `unshared` (imports an ordinary memory; the single-threaded fallback where SharedArrayBuffer is
 * unavailable, e.g. a browser page served without COOP/COEP headers). A third build, `shared` with
 * relaxed SIMD, differs only in the matmul micro-kernel, which uses f32x4.relaxed_madd (fused
 * multiply-add): it replaces the shared build where relaxed SIMD validates and relaxed_madd is fused,
 * unless the environment variable EXTRAPOS_FMA is `0`. Worker threads receive the compiled module
 * from the main thread, so every thread runs the same build. The only Node API used is the optional
 * `process.getBuiltinModule("node:v8")` that turns relaxed SIMD on in Node 20 (see enableRelaxedSimd):
 * a process-wide V8 flag, set when the first engine with shared memory is created (or `engineInfo()`
 * is first asked), never when the module is imported.
 */
import { KERNELS_WASM_BASE64, KERNELS_WASM_FMA_BASE64, KERNELS_WASM_UNSHARED_BASE64 } from "./generated/kernels-wasm.js";

export const WASM_PAGE_BYTES = 65536;
/** Must equal --maximumMemory in scripts/build.mjs (pages of 64 KiB): 4 GiB. */
export const WASM_MAX_PAGES = 65536;

export type MemoryKind = "shared" | "unshared";

const compiled: Partial<Record<MemoryKind, WebAssembly.Module>> = {};

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== "undefined") { const buf = Buffer.from(b64, "base64"); const out = new Uint8Array(buf.length); out.set(buf); return out; }
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A minimal module exporting `f(a, b, c) = lane 0 of f32x4.relaxed_madd(splat a, splat b, splat c)`:
 * validating it tells whether relaxed SIMD is on; running it, whether relaxed_madd is fused (V8 lowers
 * it to mul + add on CPUs without FMA, where the FMA build would gain nothing).
 */
// prettier-ignore
const RELAXED_MADD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7d, 0x7d, 0x7d, 0x01, 0x7d, // type: (f32, f32, f32) → f32
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f" = function 0
  0x0a, 0x16, 0x01, 0x14, 0x00, // code: one body of 20 bytes, no locals
  0x20, 0x00, 0xfd, 0x13, 0x20, 0x01, 0xfd, 0x13, 0x20, 0x02, 0xfd, 0x13, // local.get i; f32x4.splat (×3)
  0xfd, 0x85, 0x02, 0xfd, 0x1f, 0x00, 0x0b, // f32x4.relaxed_madd; f32x4.extract_lane 0; end
]);

interface NodeProcessLike {
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}
const nodeProcess = (globalThis as { process?: NodeProcessLike }).process;

/**
 * True when relaxed SIMD validates, after turning it on where it is behind a flag: Node 20 (V8 11.3)
 * has it behind --experimental-wasm-relaxed-simd, which can be set at run time (Node ≥ 20.16, through
 * process.getBuiltinModule). V8 flags are per process: worker threads started later see it too.
 */
function enableRelaxedSimd(): boolean {
  if (WebAssembly.validate(RELAXED_MADD_PROBE)) return true;
  try {
    const v8 = nodeProcess?.getBuiltinModule?.("node:v8") as { setFlagsFromString?: (flags: string) => void } | undefined;
    v8?.setFlagsFromString?.("--experimental-wasm-relaxed-simd");
  } catch {
    return false;
  }
  return WebAssembly.validate(RELAXED_MADD_PROBE);
}

/** Whether relaxed_madd rounds once here: (1+2⁻¹²)² − (1+2⁻¹¹) is 2⁻²⁴ fused, 0 with mul + add. */
function relaxedMaddFused(): boolean {
  const f = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_MADD_PROBE)).exports.f as (a: number, b: number, c: number) => number;
  const x = 1 + 2 ** -12;
  return f(x, x, -(1 + 2 ** -11)) === 2 ** -24;
}

export interface EngineInfo {
  /** The kernel build in use has the FMA matmul micro-kernel. */
  fma: boolean;
  /** The memory the kernels run on: "unshared" is the single-threaded build (no FMA variant). */
  memory: MemoryKind;
  /** Why not, when fma is false. */
  reason?: "disabled by EXTRAPOS_FMA=0" | "relaxed SIMD unavailable" | "relaxed_madd not fused" | "single-threaded build (no shared memory here)";
}

let sharedInfo: EngineInfo | undefined;

/** The shared build's choice (decided once per process; may turn on V8's relaxed-SIMD flag in Node 20). */
function sharedBuildInfo(): EngineInfo {
  if (!sharedInfo) {
    if (nodeProcess?.env?.EXTRAPOS_FMA === "0") sharedInfo = { fma: false, memory: "shared", reason: "disabled by EXTRAPOS_FMA=0" };
    else if (!enableRelaxedSimd()) sharedInfo = { fma: false, memory: "shared", reason: "relaxed SIMD unavailable" };
    else if (!relaxedMaddFused()) sharedInfo = { fma: false, memory: "shared", reason: "relaxed_madd not fused" };
    else sharedInfo = { fma: true, memory: "shared" };
  }
  return sharedInfo;
}

const UNSHARED_INFO: EngineInfo = { fma: false, memory: "unshared", reason: "single-threaded build (no shared memory here)" };

/**
 * Which kernel build runs: that of `engine` (by its memory), or without one, the build an engine
 * created here now would run (unshared where shared memory is unavailable, e.g. a page without
 * COOP/COEP). EXTRAPOS_FMA=0 forces the plain shared build. Asking may set V8's relaxed-SIMD flag in
 * Node 20, exactly as creating the first engine does.
 */
export function engineInfo(engine?: { readonly memory: WebAssembly.Memory }): EngineInfo {
  const shared = engine ? isShared(engine.memory) : sharedMemoryAvailable();
  return shared ? { ...sharedBuildInfo() } : { ...UNSHARED_INFO };
}

/**
 * The compiled kernel module (compiled once per process, then cached): for `shared`, the FMA build
 * when the shared build's choice has FMA. Worker threads get it from the main thread (threads/pool.ts).
 */
export function kernelModule(kind: MemoryKind = "shared"): WebAssembly.Module {
  let m = compiled[kind];
  if (!m) {
    const b64 = kind === "unshared" ? KERNELS_WASM_UNSHARED_BASE64 : sharedBuildInfo().fma ? KERNELS_WASM_FMA_BASE64 : KERNELS_WASM_BASE64;
    m = new WebAssembly.Module(decodeBase64(b64));
    compiled[kind] = m;
  }
  return m;
}

/** The names of the module's exported functions, in the module's order (same in every thread). */
export function kernelNames(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name);
}

/** The raw exports of the kernel module: pointers are byte offsets into the memory. */
export type KernelExports = Record<string, (...args: number[]) => number | void> & {
  heapBase(): number;
  setThreadScratch(ptr: number, bytes: number): void;
};

/**
 * True when this environment can create a shared WebAssembly.Memory (Node always; a browser only on a
 * cross-origin-isolated page, i.e. served with COOP `same-origin` and COEP `require-corp`).
 */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === "undefined") return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

export function createSharedMemory(initialPages = 32): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: WASM_MAX_PAGES, shared: true });
}

/** An ordinary (non-shared) memory for the `unshared` build: single-threaded only. */
export function createUnsharedMemory(initialPages = 32): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: WASM_MAX_PAGES });
}

/** Whether `memory` is backed by a SharedArrayBuffer. */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/** Instantiates the kernel build that matches `memory` (shared or not) on it. */
export function instantiateKernels(memory: WebAssembly.Memory, module?: WebAssembly.Module): KernelExports {
  const instance = new WebAssembly.Instance(module ?? kernelModule(isShared(memory) ? "shared" : "unshared"), {
    env: {
      memory,
      // decode-program.as.ts: a barrier's spin is bounded in time
      now: () => performance.now(),
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`wasm abort at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}
