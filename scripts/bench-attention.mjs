// Measures the attention kernels (not a test): `node scripts/bench-attention.mjs [train|long|memory|all]
// [--threads 1,2] [--runs 7]` after `npm run build`. Prints one JSON line per measurement: the best and
// the median wall time of `runs` timed batches (each batch repeats the call until ≥ ~60 ms), and the
// process CPU time per call of the median batch (cpu_ms > ms means both threads were busy; cpu_ms ≪ ms
// on one thread means the machine was busy with other work).
import { createEngine } from "../dist/engine/threads/pool.js";
import { attentionForward, attentionBackward } from "../dist/engine/kernels/attention/attention.js";

const argv = process.argv.slice(2);
const flag = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const which = argv.find((a) => !a.startsWith("--") && !/^[\d,]+$/.test(a)) ?? "all";
const threadCounts = flag("--threads", "1,2").split(",").map(Number);
const runs = Number(flag("--runs", "7"));

function buffers(engine, B, T, NH, HS) {
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

function measure(fn) {
  fn();
  let calls = 0;
  const t = performance.now();
  while (performance.now() - t < 20) { fn(); calls++; }
  const reps = Math.max(1, Math.round(60 * calls / (performance.now() - t))); // ≈ 60 ms per batch
  const walls = [], cpus = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const wall = (performance.now() - t0) / reps, c = process.cpuUsage(c0);
    walls.push(wall); cpus.push((c.user + c.system) / 1000 / reps);
  }
  const order = walls.map((_, i) => i).sort((a, b) => walls[a] - walls[b]);
  const med = order[order.length >> 1];
  return { best: walls[order[0]], median: walls[med], cpu: cpus[med], reps };
}

function line(pass, shape, threads, flops, m) {
  console.log(JSON.stringify({ name: "attention", pass, ...shape, threads, ms: +m.best.toFixed(3), ms_median: +m.median.toFixed(3),
    cpu_ms_median: +m.cpu.toFixed(3), gflops: +(flops / m.best / 1e6).toFixed(2), gflops_median: +(flops / m.median / 1e6).toFixed(2) }));
}

for (const threads of threadCounts) {
  const engine = await createEngine({ threads });
  const shapes = [];
  if (which === "all" || which === "train") shapes.push({ B: 16, T: 128, NH: 4, HS: 32 });
  if (which === "all" || which === "long") shapes.push({ B: 1, T: 1024, NH: 4, HS: 32 }, { B: 1, T: 8192, NH: 4, HS: 32 });
  for (const shape of shapes) {
    const { B, T, NH, HS } = shape;
    const mark = engine.mark(); const p = buffers(engine, B, T, NH, HS);
    const flopsF = B * NH * (T * (T + 1) / 2) * HS * 4; // QKᵀ and P·V, 2 flops per multiply-add
    line("forward", shape, threads, flopsF, measure(() => attentionForward(engine, p.out, p.lse, p.q, p.k, p.v, shape)));
    if (T <= 1024) {
      // backward: recomputed QKᵀ, dP = dO·Vᵀ, dQ, dK, dV = 5 products (2.5× the forward's two)
      line("backward", shape, threads, 2.5 * flopsF,
        measure(() => attentionBackward(engine, p.dq, p.dk, p.dv, 0, p.dout, p.out, p.lse, p.q, p.k, p.v, shape)));
    }
    engine.reset(mark);
  }
  if (which === "memory" && threads === threadCounts[0]) {
    // forward at T = 16384, HS = 32, NH = 4: wasm memory used = q, k, v, out (4·T·C floats) + lse + scratch
    const T = 16384, shape = { B: 1, T, NH: 4, HS: 32 };
    const before = engine.memory.buffer.byteLength, rss0 = process.memoryUsage().rss;
    const mark = engine.mark(); const p = buffers(engine, 1, T, 4, 32);
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
  await engine.dispose();
}
