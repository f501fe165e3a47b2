/**
 * Loads the kernel module (built from src/engine/kernels/index.as.ts, embedded as base64) onto a
 * shared WebAssembly.Memory. The same compiled module is instantiated once per thread on the same
 * memory; instances share nothing else (the stub runtime keeps no state in linear memory).
 */
import { KERNELS_WASM_BASE64 } from "./generated/kernels-wasm.js";

export const WASM_PAGE_BYTES = 65536;
/** Must equal --maximumMemory in scripts/build.mjs (pages of 64 KiB): 4 GiB. */
export const WASM_MAX_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== "undefined") { const buf = Buffer.from(b64, "base64"); const out = new Uint8Array(buf.length); out.set(buf); return out; }
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The compiled kernel module (compiled once per process / worker, then cached). */
export function kernelModule(): WebAssembly.Module {
  if (!compiled) compiled = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
  return compiled;
}

/** The raw exports of the kernel module: pointers are byte offsets into the memory. */
export type KernelExports = Record<string, (...args: number[]) => number | void> & {
  heapBase(): number;
};

export function createSharedMemory(initialPages = 32): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: WASM_MAX_PAGES, shared: true });
}

export function instantiateKernels(memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(kernelModule(), {
    env: {
      memory,
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`wasm abort at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}
