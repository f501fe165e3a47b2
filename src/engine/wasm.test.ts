import { test } from "node:test";
import assert from "node:assert/strict";
import { createSharedMemory, instantiateKernels } from "./wasm.js";

test("kernel module loads on a shared memory and runs a SIMD kernel (odd sizes)", () => {
  const memory = createSharedMemory();
  const k = instantiateKernels(memory);
  const residualForward = k.residualForward;
  assert.ok(residualForward, "residualForward is a wasm export");
  for (const n of [1, 3, 17, 129]) {
    const base = (k.heapBase() + 15) & ~15;
    const a = new Float32Array(memory.buffer, base, n);
    const b = new Float32Array(memory.buffer, base + 4 * n, n);
    const out = new Float32Array(memory.buffer, base + 8 * n, n);
    for (let i = 0; i < n; i++) { a[i] = Math.fround(Math.sin(i)); b[i] = Math.fround(i * 0.5); }
    residualForward(out.byteOffset, a.byteOffset, b.byteOffset, 0, n);
    for (let i = 0; i < n; i++) assert.equal(out[i], Math.fround(a[i]! + b[i]!), `n=${n} i=${i}`);
  }
});

test("single-threaded fallback: the unshared build runs on an ordinary memory (no SharedArrayBuffer)", async () => {
  const { SerialEngine } = await import("./engine.js");
  const { matmul } = await import("./kernels/matmul/matmul.js");
  const { createUnsharedMemory, isShared, sharedMemoryAvailable } = await import("./wasm.js");
  assert.equal(sharedMemoryAvailable(), true, "Node always has shared memory");
  const e = new SerialEngine({ memory: createUnsharedMemory() });
  assert.equal(isShared(e.memory), false);
  assert.ok(!(e.memory.buffer instanceof SharedArrayBuffer));
  // C = A·B with A = [[1, 2, 3]], B = [[1, 0], [0, 1], [1, 1]] → [[4, 5]] (by hand), plus bias [10, 20]
  const a = e.alloc(12), b = e.alloc(24), c = e.alloc(8), bias = e.alloc(8);
  e.f32(a, 3).set([1, 2, 3]);
  e.f32(b, 6).set([1, 0, 0, 1, 1, 1]);
  e.f32(bias, 2).set([10, 20]);
  matmul(e, { ptr: c, shape: [1, 2] }, { ptr: a, shape: [1, 3] }, { ptr: b, shape: [3, 2] }, { bias: { ptr: bias, shape: [2] } });
  assert.deepEqual(Array.from(e.f32(c, 2)), [14, 25]);
});

test("workGrain: shares below MIN_VALUES_PER_THREAD are not split; alignment is kept; 0 forces splitting", async () => {
  const { workGrain, MIN_VALUES_PER_THREAD, SerialEngine } = await import("./engine.js");
  const e = new SerialEngine();
  assert.equal(workGrain(e, 1), MIN_VALUES_PER_THREAD);
  assert.equal(workGrain(e, 128), Math.ceil(MIN_VALUES_PER_THREAD / 128));
  assert.equal(workGrain(e, 3, 4) % 4, 0);
  assert.ok(workGrain(e, 3, 4) * 3 >= MIN_VALUES_PER_THREAD);
  assert.equal(workGrain(e, 1e9, 8), 8, "huge units: just the alignment");
  assert.equal(workGrain({ ...e, minValuesPerThread: 0 } as unknown as typeof e, 5, 4), 4, "tests can force splitting");
});
