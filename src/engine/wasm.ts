/**
 * Loads the kernel module (built from src/engine/kernels/index.as.ts, embedded as base64) onto a
 * WebAssembly.Memory. The same compiled module is instantiated once per thread on the same shared
 * memory; instances share nothing else (the stub runtime keeps no state in linear memory; the only
 * per-instance state is the thread's scratch range, see memory/scratch.as.ts).
 *
 * Two builds of the same kernels exist: `shared` (imports a shared memory; needed by worker threads)
 * and `unshared` (imports an ordinary memory; the single-threaded fallback where SharedArrayBuffer is
 * unavailable, e.g. a browser page served without COOP/COEP headers). Nothing here uses Node APIs.
 */
import { KERNELS_WASM_BASE64, KERNELS_WASM_UNSHARED_BASE64 } from "./generated/kernels-wasm.js";

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

/** The compiled kernel module (compiled once per process / worker, then cached). */
export function kernelModule(kind: MemoryKind = "shared"): WebAssembly.Module {
  let m = compiled[kind];
  if (!m) {
    m = new WebAssembly.Module(decodeBase64(kind === "shared" ? KERNELS_WASM_BASE64 : KERNELS_WASM_UNSHARED_BASE64));
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
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`wasm abort at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}
