// The memory roofline of batch-1 decoding (docs/engine.md "Decoding speed"): how fast ONE core (and
// two) can stream float32 data out of the cache hierarchy with WebAssembly SIMD, the ceiling of a
// decoding step that must read every weight and every cached key/value once per token.
// A tiny AssemblyScript kernel (compiled here, at run time, with the build's flags: -O3, SIMD, shared
// memory) sums a buffer with 8 independent f32x4 accumulators, i.e. loads as fast as the core issues
// them; it is run over buffers of 0.5–64 MiB, on 1 thread and on 2 worker threads at once (each its
// own buffer). Per size, one JSON line: gb_per_s_* = the best of 40 short rounds (32 MiB read each) —
// the hardware's ceiling, which a loaded machine still shows between preemptions (with 2 threads the
// sum of each thread's best, which need not have overlapped); window_gb_per_s_* = bytes read during a
// common 300 ms wall-clock window — what the threads actually got together, load included (on a
// machine with other jobs, 2 threads may not run at the same time). Then the bytes a tiny-model
// decoding step moves per token at contexts 1k and 4k.
//   node scripts/bench-roofline.mjs            (no build needed; take `flock /work/bench.lock` on a shared machine)
import asc from "assemblyscript/asc";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

const SOURCE = `
export function streamRead(p: usize, bytes: i32, passes: i32): f32 {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let r = 0; r < passes; r++) {
    for (let o: usize = 0; o < <usize>bytes; o += 128) {
      const q = p + o;
      a0 = f32x4.add(a0, v128.load(q)); a1 = f32x4.add(a1, v128.load(q, 16));
      a2 = f32x4.add(a2, v128.load(q, 32)); a3 = f32x4.add(a3, v128.load(q, 48));
      a4 = f32x4.add(a4, v128.load(q, 64)); a5 = f32x4.add(a5, v128.load(q, 80));
      a6 = f32x4.add(a6, v128.load(q, 96)); a7 = f32x4.add(a7, v128.load(q, 112));
    }
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
`;

const MiB = 1 << 20;
const SIZES = [0.5, 1, 2, 4, 8, 16, 64];

/** GB/s of `passes` reads of `bytes` at `p`, best of 40 timed rounds (short: a shared machine preempts long ones) after one warm-up. */
function measure(read, p, bytes) {
  const passes = Math.max(1, Math.round((32 * MiB) / bytes));
  read(p, bytes, 1);
  let best = Infinity;
  for (let i = 0; i < 40; i++) {
    const t = performance.now();
    read(p, bytes, passes);
    best = Math.min(best, performance.now() - t);
  }
  return (bytes * passes) / best / 1e6;
}

/** Bytes/ms read by repeated passes over `bytes` at `p` during `ms` of wall time (what a thread gets, load included). */
function windowed(read, p, bytes, ms) {
  const passes = Math.max(1, Math.round((4 * MiB) / bytes));
  const t0 = performance.now();
  let total = 0;
  while (performance.now() - t0 < ms) {
    read(p, bytes, passes);
    total += bytes * passes;
  }
  return total / (performance.now() - t0);
}

const WINDOW_MS = 300;

if (!isMainThread) {
  const { module, memory, offset, bytes, flag } = workerData;
  const inst = new WebAssembly.Instance(module, { env: { memory, abort() {} } });
  measure(inst.exports.streamRead, offset, MiB);
  const f = new Int32Array(flag);
  Atomics.add(f, 0, 1);
  while (Atomics.load(f, 1) === 0); // start together
  const best = measure(inst.exports.streamRead, offset, bytes);
  Atomics.add(f, 0, 1);
  while (Atomics.load(f, 1) === 1); // then read for the same wall-time window, together
  parentPort.postMessage({ best, window: windowed(inst.exports.streamRead, offset, bytes, WINDOW_MS) / 1e6 });
} else {
  const { binary, error, stderr } = await asc.compileString({ "roofline.ts": SOURCE }, {
    optimizeLevel: 3, noAssert: true, runtime: "stub", enable: ["simd", "threads"], importMemory: true, sharedMemory: true,
    initialMemory: 2 * 64 * 16 + 16, maximumMemory: 65536,
  });
  if (error) throw new Error(`compiling the roofline kernel failed: ${stderr.toString()}`);
  const module = new WebAssembly.Module(binary);
  const memory = new WebAssembly.Memory({ initial: 2 * 64 * 16 + 16, maximum: 65536, shared: true });
  new Float32Array(memory.buffer).fill(1);
  const inst = new WebAssembly.Instance(module, { env: { memory, abort() {} } });
  const base = 1 * MiB;
  // V8 compiles wasm in tiers (a baseline compiler first, the optimizing one in the background): warm up, let it finish
  measure(inst.exports.streamRead, base, MiB);
  await new Promise((r) => setTimeout(r, 100));
  const until = async (f, i, v) => { while (Atomics.load(f, i) < v) await new Promise((r) => setTimeout(r, 1)); };
  for (const mib of SIZES) {
    const bytes = mib * MiB;
    const one = measure(inst.exports.streamRead, base, bytes), oneWindow = windowed(inst.exports.streamRead, base, bytes, WINDOW_MS) / 1e6;
    const flag = new SharedArrayBuffer(8);
    const workers = [0, 1].map((t) => new Worker(new URL(import.meta.url), { workerData: { module, memory, offset: base + t * 64 * MiB, bytes, flag } }));
    const f = new Int32Array(flag);
    await until(f, 0, 2);
    Atomics.store(f, 1, 1);
    await until(f, 0, 4);
    Atomics.store(f, 1, 2);
    const two = await Promise.all(workers.map((w) => new Promise((r) => w.once("message", r))));
    await Promise.all(workers.map((w) => w.terminate()));
    console.log(JSON.stringify({
      name: "stream_read", mib,
      gb_per_s_1thread: +one.toFixed(1), gb_per_s_2threads: +(two[0].best + two[1].best).toFixed(1),
      window_gb_per_s_1thread: +oneWindow.toFixed(1), window_gb_per_s_2threads: +(two[0].window + two[1].window).toFixed(1),
    }));
  }
  // bytes one batch-1 step of the bench's tiny model (d 128, 4 layers, vocabulary 256) reads per token
  const d = 128, L = 4, V = 256, weights = 4 * (L * (12 * d * d + 13 * d) + V * d);
  for (const ctx of [1024, 4096]) {
    const kv = 4 * L * 2 * ctx * d;
    console.log(JSON.stringify({ name: "decode_bytes_per_token", context: ctx, weights_mb: +(weights / 1e6).toFixed(2), kv_mb: +(kv / 1e6).toFixed(2), total_mb: +((weights + kv) / 1e6).toFixed(2) }));
  }
}
