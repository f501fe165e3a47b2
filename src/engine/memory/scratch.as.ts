// Per-thread scratch memory for kernels that pack or tile (matmul packs panels of A and B here).
// Every thread has its own instance of the module, and wasm globals belong to the instance, so
// `setThreadScratch` (called once per thread by the engine, each with a different range) gives each
// thread a private range of the shared memory. Kernels read it with `threadScratch()`; the TypeScript
// glue checks `engine.scratchBytesPerThread` before dispatching a kernel that needs scratch.

let scratchPtr: usize = 0;
let scratchBytes: usize = 0;

/** Sets this thread's scratch range [ptr, ptr + bytes) (64-byte aligned by the engine). */
export function setThreadScratch(ptr: usize, bytes: usize): void {
  scratchPtr = ptr;
  scratchBytes = bytes;
}

/** This thread's scratch start (0 before the engine set it). */
export function threadScratch(): usize {
  return scratchPtr;
}

/** This thread's scratch size in bytes. */
export function threadScratchBytes(): usize {
  return scratchBytes;
}
