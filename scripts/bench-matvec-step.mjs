// Micro-benchmark of one generation step's matrix–vector products (the tiny model: 4 layers of
// 128→384, 128→128, 128→512, 512→128 and the 128→256 head, 3.3 MB of weights) for R rows (batch),
// with 4 MB read between steps to evict them as a KV cache would: min and median of 400 steps.
// Usage: node scripts/bench-matvec-step.mjs [R 8]   (after npm run build; DIST=… another build's dist)
const dist = process.env.DIST ?? "../dist";
const { SerialEngine } = await import(dist + "/engine/engine.js");
const e = new SerialEngine();
const fn = e.kernels.matvecRows;
const R = Number(process.argv[2] ?? 8);
const shapes = [];
for (let l = 0; l < 4; l++) shapes.push([128, 384], [128, 128], [128, 512], [512, 128]);
shapes.push([128, 256]);
const al = (n) => { const p = e.alloc(n * 4); const v = e.f32(p, n); for (let i = 0; i < n; i++) v[i] = Math.sin(i) * 0.1; return p; };
const ws = shapes.map(([IN, OUT]) => al(IN * OUT)), bs = shapes.map(([, OUT]) => al(OUT));
const x = al(R * 512), y = al(R * 512);
const kv = al(4 * 1024 * 1024 / 4 * 4); // 4 MB to evict like the KV cache would
const kvv = e.f32(kv, 1024 * 1024);
const times = [];
for (let it = 0; it < 400; it++) {
  let s = 0; for (let i = 0; i < kvv.length; i += 16) s += kvv[i];
  const t = performance.now();
  for (let i = 0; i < shapes.length; i++) fn(y, x, ws[i], bs[i], R, shapes[i][0], shapes[i][1], 0, shapes[i][1]);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(`R=${R} matvecs of a step: min ${(1000 * times[0]).toFixed(1)} med ${(1000 * times[200]).toFixed(1)} µs`);
