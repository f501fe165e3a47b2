// Measures the attention kernels (not a test): `node scripts/bench-attention.mjs` after `npm run build`.
// Prints one JSON line per measurement (single thread, SerialEngine).
import { SerialEngine } from "../dist/engine/engine.js";
import { attentionForward, attentionBackward } from "../dist/engine/kernels/attention/attention.js";

const engine = new SerialEngine();
function buffers(B, T, NH, HS) {
  const n = B * NH * T * HS;
  const p = {};
  for (const name of ["q", "k", "v", "out", "dout", "dq", "dk", "dv"]) {
    p[name] = engine.alloc(4 * n);
    const a = engine.f32(p[name], n);
    for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.37 + name.length) * 0.8;
  }
  p.lse = engine.alloc(4 * B * NH * T);
  return p;
}
function time(fn, reps) {
  fn();
  const t = performance.now();
  for (let r = 0; r < reps; r++) fn();
  return (performance.now() - t) / reps;
}
const which = process.argv[2] ?? "all";
if (which === "all" || which === "train") {
  const shape = { B: 16, T: 128, NH: 4, HS: 32 };
  const mark = engine.mark(); const p = buffers(16, 128, 4, 32);
  const f = time(() => attentionForward(engine, p.out, p.lse, p.q, p.k, p.v, shape), 20);
  const b = time(() => attentionBackward(engine, p.dq, p.dk, p.dv, 0, p.dout, p.out, p.lse, p.q, p.k, p.v, shape), 20);
  const flopsF = 16 * 4 * (128 * 129 / 2) * 32 * 4;
  console.log(JSON.stringify({ name: "attention", pass: "forward", ...shape, ms: +f.toFixed(3), gflops: +(flopsF / f / 1e6).toFixed(2) }));
  console.log(JSON.stringify({ name: "attention", pass: "backward", ...shape, ms: +b.toFixed(3), gflops: +(2.5 * flopsF / b / 1e6).toFixed(2) }));
  engine.reset(mark);
}
for (const T of which === "all" ? [1024, 8192] : which === "long" ? [1024, 8192] : []) {
  const shape = { B: 1, T, NH: 4, HS: 32 };
  const mark = engine.mark(); const p = buffers(1, T, 4, 32);
  const f = time(() => attentionForward(engine, p.out, p.lse, p.q, p.k, p.v, shape), T > 4096 ? 1 : 5);
  const flopsF = 4 * (T * (T + 1) / 2) * 32 * 4;
  console.log(JSON.stringify({ name: "attention", pass: "forward", ...shape, ms: +f.toFixed(2), gflops: +(flopsF / f / 1e6).toFixed(2) }));
  engine.reset(mark);
}
if (which === "memory") {
  // forward at T = 16384, HS = 32, NH = 4: wasm memory used = q, k, v, out (4·T·C floats) + lse + scratch
  const T = 16384, shape = { B: 1, T, NH: 4, HS: 32 };
  const before = engine.memory.buffer.byteLength, rss0 = process.memoryUsage().rss;
  const mark = engine.mark(); const p = buffers(1, T, 4, 32);
  const t = performance.now();
  attentionForward(engine, p.out, p.lse, p.q, p.k, p.v, shape);
  const ms = performance.now() - t;
  const arena = engine.mark() - mark;
  console.log(JSON.stringify({ name: "attention_memory", ...shape, ms: +ms.toFixed(0), arena_bytes_after_call: arena,
    tensors_bytes: 4 * (8 * T * 128 + 4 * T), wasm_memory_mb: +(engine.memory.buffer.byteLength / 2 ** 20).toFixed(1),
    wasm_memory_before_mb: +(before / 2 ** 20).toFixed(1), rss_growth_mb: +((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(1),
    naive_scores_mb: +(4 * 4 * T * T / 2 ** 20).toFixed(0) }));
  engine.reset(mark);
}
