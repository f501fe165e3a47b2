// The one WebAssembly module: every kernel, re-exported. Built by scripts/build.mjs with SIMD,
// threads and an imported shared memory. Add a kernel: export it here (and see docs/layout.md).
export { vecadd } from "./vecadd/vecadd.as";

/** First byte of linear memory that the module's own data does not use; the planner starts here. */
export function heapBase(): usize {
  return __heap_base;
}
export { setThreadScratch, threadScratchBytes } from "../memory/scratch.as";
export { matmulAB, matmulABt, matmulAtB, matmulAtBt, biasGradAccumulate, matmulScratchBytes, matmulRowGrain, matmulColumnGrain } from "./matmul/matmul.as";
export { nonFiniteScan } from "./finite/finite.as";
