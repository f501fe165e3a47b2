// The float64 decoders' Transformer-XL decode speed, for comparison with the engine decoder's bench lines
// (src/bench/decode-xl.ts): the bench's tiny model with pe transformer-xl (and mem_len M), a prompt of
// CONTEXT − 16 random bytes, then 16 greedy steps on `startFloat64Decoding` (M = 0) or the float64 rolling
// decoder in segment mode (segments of 128, memory M). Prints {prefill_s, tokens_per_s, cpu_tokens_per_s}.
//   node scripts/decode-xl-float64.mjs CONTEXT M      (after npm run build)
import { parseModelConfig } from "../dist/model/config.js";
import { createModel } from "../dist/model/factory.js";
import { Rng } from "../dist/pe/random.js";
const [context, memLen] = process.argv.slice(2).map(Number);
const cfg = parseModelConfig({ d_model: 128, n_layers: 4, n_heads: 4, context_length: 128, pe: { kind: "transformer-xl", mem_len: memLen } });
const model = await createModel(cfg, { seed: 0, threads: 1 });
const rng = new Rng(0), gen = 16;
const prompt = Int32Array.from({ length: context - gen }, () => rng.int(cfg.vocabSize));
const dec = memLen > 0 ? model.startFloat64RollingDecoding({}, { sinks: 0, recent: memLen, segment: 128 }) : model.startFloat64Decoding();
let t = performance.now(), c0 = process.cpuUsage();
let l = dec.feed(prompt);
const prefill = (performance.now() - t) / 1000;
t = performance.now(); c0 = process.cpuUsage();
for (let i = 0; i < gen; i++) { let b = 0; for (let v = 1; v < l.length; v++) if (l[v] > l[b]) b = v; l = dec.feed(Int32Array.of(b)); }
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ impl: "float64", context, memLen, prefill_s: prefill, tokens_per_s: gen / ((performance.now() - t) / 1000), cpu_tokens_per_s: gen / ((c.user + c.system) / 1e6) }));
await model.dispose();
