import { test } from "node:test";
import assert from "node:assert/strict";
import { createSharedMemory, instantiateKernels } from "./wasm.js";

test("kernel module loads on a shared memory and runs a SIMD kernel (odd sizes)", () => {
  const memory = createSharedMemory();
  const k = instantiateKernels(memory);
  for (const n of [1, 3, 17, 129]) {
    const base = (k.heapBase() + 15) & ~15;
    const a = new Float32Array(memory.buffer, base, n);
    const b = new Float32Array(memory.buffer, base + 4 * n, n);
    const out = new Float32Array(memory.buffer, base + 8 * n, n);
    for (let i = 0; i < n; i++) { a[i] = Math.fround(Math.sin(i)); b[i] = Math.fround(i * 0.5); }
    k.vecadd(out.byteOffset, a.byteOffset, b.byteOffset, 0, n);
    for (let i = 0; i < n; i++) assert.equal(out[i], Math.fround(a[i] + b[i]), `n=${n} i=${i}`);
  }
});
