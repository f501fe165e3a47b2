// Where does a batch-1 decoding step spend its time? Wraps the engine's parallelFor and adds up wall
// time per kernel (and the JavaScript between kernels) over GEN greedy steps of the decode bench's
// tiny model (src/bench/decode-point.ts), after a prefill to CONTEXT − GEN tokens.
// Per kernel: the MEDIAN call time × calls per token (steady on a shared machine, where a mean is not);
// the step: the fastest step of each 8 consecutive ones, their median (the profiler's timers included).
// Usage: node scripts/profile-decode.mjs [context 1024] [threads 1] [gen 256] [threadPolicy auto|coarse|fine] [batch 1]
//   (DIST=/path/to/another/dist: the same measurement of another build, e.g. main's, for an A/B)
//   [ops]: a generation step's program (decode-step.ts) runs op by op, one parallelFor each, so that
//   the kernels show one by one; without it a step is one decodeProgram call (the step as it runs)
//   (after npm run build; with 2 threads the policy A/B of decode-step.ts: `… 1024 2 256 fine` vs `… coarse`)
const dist = process.env.DIST ?? "../dist";
const { parseModelConfig } = await import(dist + "/model/config.js");
const { createModel } = await import(dist + "/model/factory.js");
const { Rng } = await import(dist + "/pe/random.js");
const { timeKernels } = await import("./kernel-timer.mjs");

const [context = 1024, threads = 1, gen = 256] = process.argv.slice(2, 5).map(Number);
const threadPolicy = process.argv[5] ?? "auto";
const batch = Number(process.argv[6] ?? 1);
const cfg = parseModelConfig({ d_model: 128, n_layers: 4, n_heads: 4, context_length: 128, pe: { kind: "alibi" } });
const model = await createModel(cfg, { seed: 0, threads });
const engine = model.engine;
if (process.argv[7] === "ops") {
  // the program's per-op path is the one of engines whose threads do not run at once (decode-program.ts)
  if (engine.threads === 1) Object.defineProperty(engine, "threads", { value: 2 });
  else Object.defineProperty(engine, "concurrent", { value: false });
}
const timer = timeKernels(engine, (name, n, grain) => name + (grain < n ? " (split)" : ""));
const rng = new Rng(0);
const dec = model.startDecoding({}, { batch, capacity: context, threadPolicy });
dec.feed(Int32Array.from({ length: context - gen }, () => rng.int(256)));
let tok = new Int32Array(batch).fill(1);
for (let i = 0; i < 8; i++) dec.feedBatch(tok);
timer.on = true;
const t0 = performance.now(), stepMs = [];
for (let i = 0; i < gen - 8; i++) {
  const ts = performance.now();
  const l = dec.feedBatch(tok);
  stepMs.push(performance.now() - ts);
  tok = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let v = 1; v < 256; v++) if (l[b * 256 + v] > l[b * 256 + best]) best = v;
    tok[b] = best;
  }
}
const total = performance.now() - t0, steps = gen - 8;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const rows = [...timer.times].map(([k, v]) => [k, (1000 * median(v) * v.length) / steps, v.length / steps]).sort((a, b) => b[1] - a[1]);
for (const [k, us, calls] of rows) console.log(`${k.padEnd(28)} ${us.toFixed(1).padStart(7)} µs/token  ${calls.toFixed(0).padStart(3)} calls/token`);
const sum = rows.reduce((a, r) => a + r[1], 0);
console.log(`${"kernels (median-based)".padEnd(28)} ${sum.toFixed(1).padStart(7)} µs/token;  wall mean ${(1000 * total / steps).toFixed(1)} µs/token`);
const blocks = [];
for (let i = 0; i + 8 <= stepMs.length; i += 8) blocks.push(Math.min(...stepMs.slice(i, i + 8)));
console.log(`${"step (fastest of 8, median)".padEnd(28)} ${(1000 * median(blocks)).toFixed(1).padStart(7)} µs/token  (${(1000 / median(blocks)).toFixed(0)} tokens/s)`);
await model.dispose();
