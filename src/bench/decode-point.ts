/**
 * One decode measurement in its own process (so its peak RSS is its own), run by decode.ts:
 *   node dist/bench/decode-point.js CONTEXT BATCH THREADS [GEN [PE]]
 * The same protocol as the PyTorch peer (peers/torch_decode.py): the bench's tiny model (d 128,
 * 4 layers, 4 heads, byte vocabulary, ALiBi, seeded random weights), a prompt of CONTEXT − GEN − 4
 * random bytes prefilled once for the batch, 4 untimed greedy steps, then GEN timed greedy steps
 * (one token per sequence each). Prints {context, batch, threads, gen, tokens_per_s, cpu_tokens_per_s
 * (per second of process CPU time, workers included: steadier on a shared machine), prefill_s, peak_rss_mb}.
 * PE (JSON, default {"kind":"alibi"}): another encoding of the same model (decode-xl.ts: Transformer-XL).
 */
import { parseModelConfig } from "../model/config.js";
import { createModel } from "../model/factory.js";
import type { Decoder } from "../model/lm.js";
import { Rng } from "../pe/random.js";

export const DECODE_WARMUP = 4;

function argmaxRows(logits: Float32Array, B: number, V: number): Int32Array {
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[b * V + v]! > logits[b * V + best]!) best = v;
    out[b] = best;
  }
  return out;
}

async function main(): Promise<void> {
  const [context, batch, threads, gen = 64] = process.argv.slice(2, 6).map(Number) as [number, number, number, number?];
  const pe: unknown = JSON.parse(process.argv[6] ?? '{"kind":"alibi"}');
  const cfg = parseModelConfig({ d_model: 128, n_layers: 4, n_heads: 4, context_length: 128, pe });
  const model = await createModel(cfg, { seed: 0, threads });
  try {
    const rng = new Rng(0), V = cfg.vocabSize;
    const prompt = Int32Array.from({ length: context - gen - DECODE_WARMUP }, () => rng.int(V));
    const dec = model.startDecoding({}, { batch, capacity: context }) as Required<Decoder>;
    let t = performance.now();
    let logits = dec.feed(prompt);
    const prefill = (performance.now() - t) / 1000;
    let cpu0 = process.cpuUsage();
    let next: Int32Array = new Int32Array(batch).fill(argmaxRows(logits, 1, V)[0]!);
    for (let i = 0; i < DECODE_WARMUP + gen; i++) {
      if (i === DECODE_WARMUP) {
        t = performance.now();
        cpu0 = process.cpuUsage();
      }
      logits = dec.feedBatch(next);
      next = argmaxRows(logits, batch, V);
    }
    const seconds = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0), cpuSeconds = (cpu.user + cpu.system) / 1e6;
    process.stdout.write(JSON.stringify({
      context, batch, threads, gen, tokens_per_s: Math.round((10 * batch * gen) / seconds) / 10, prefill_s: Math.round(prefill * 1000) / 1000,
      cpu_tokens_per_s: Math.round((10 * batch * gen) / cpuSeconds) / 10,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
    }) + "\n");
  } finally {
    await model.dispose();
  }
}

await main();
