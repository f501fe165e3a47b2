// Per-step wall times of generation in the decode bench's protocol (src/bench/decode-point.ts: the
// tiny model, ALiBi, a prompt filling CONTEXT − GEN − 4 tokens, 4 untimed steps, GEN timed ones):
// mean, median, min and percentiles of the timed steps, CPU time per step (all threads), and the
// first 24 steps (untimed ones included) — where V8's tier-up and a thread policy's hand-offs show.
// Usage: node scripts/decode-steps.mjs [context 1024] [batch 1] [threads 1] [gen 64] [threadPolicy coarse|fine|auto]
//   (after npm run build; DIST=/path/to/another/dist measures another build, e.g. a copy of main's, for an A/B)
const dist = process.env.DIST ?? "../dist";
const { parseModelConfig } = await import(dist + "/model/config.js");
const { createModel } = await import(dist + "/model/factory.js");
const { Rng } = await import(dist + "/pe/random.js");

const [context = 1024, batch = 1, threads = 1, gen = 64] = process.argv.slice(2, 6).map(Number);
const threadPolicy = process.argv[6] ?? "coarse";
const cfg = parseModelConfig({ d_model: 128, n_layers: 4, n_heads: 4, context_length: 128, pe: { kind: "alibi" } });
const model = await createModel(cfg, { seed: 0, threads });
const rng = new Rng(0), V = cfg.vocabSize;
const dec = model.startDecoding({}, { batch, capacity: context, threadPolicy });
let logits = dec.feed(Int32Array.from({ length: context - gen - 4 }, () => rng.int(V)));
let next = new Int32Array(batch).fill(1);
const us = [];
let cpu0 = process.cpuUsage();
for (let i = 0; i < 4 + gen; i++) {
  if (i === 4) cpu0 = process.cpuUsage();
  const t = performance.now();
  logits = dec.feedBatch(next);
  us.push(1000 * (performance.now() - t));
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[b * V + v] > logits[b * V + best]) best = v;
    next[b] = best;
  }
}
const cpu = process.cpuUsage(cpu0), timed = us.slice(4), sorted = [...timed].sort((a, b) => a - b);
const q = (f) => sorted[Math.floor(f * (sorted.length - 1))].toFixed(0);
console.log(`context ${context} batch ${batch} threads ${threads} ${threadPolicy}: step mean ${(timed.reduce((a, b) => a + b) / gen).toFixed(0)} µs, median ${q(0.5)}, min ${q(0)}, p90 ${q(0.9)}, max ${q(1)}; CPU ${((cpu.user + cpu.system) / gen).toFixed(0)} µs/step`);
console.log(`first steps (µs): ${us.slice(0, 24).map((x) => x.toFixed(0)).join(" ")}`);
await model.dispose();
