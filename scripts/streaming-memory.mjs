// Constant-memory generation with StreamingLLM's rolling KV cache, measured: generates N tokens from a
// run with `generate` (the library path of `extrapos generate --sinks K --cache W`) and prints one JSON
// line per checkpoint (1k, 10k, 100k, … tokens) with the resident set size now and the peak so far.
//
//   npm run build && node --expose-gc scripts/streaming-memory.mjs --run runs/rope --tokens 100000 --sinks 4 --cache 60
//
// Flags: --run DIR (required), --tokens N (default 100000), --sinks K (4), --cache W (T − K),
// --grow (the ordinary growing cache instead, for contrast; keep --tokens small: O(n²) time).
import { join } from "node:path";
import { generate, loadModelFromCheckpoint, loadTokenizer } from "../dist/index.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const run = arg("run");
if (!run) { console.error("usage: node scripts/streaming-memory.mjs --run DIR [--tokens N] [--sinks K] [--cache W] [--grow]"); process.exit(2); }
const tokens = Number(arg("tokens", "100000"));
const grow = process.argv.includes("--grow");
const { model, config } = await loadModelFromCheckpoint(join(run, "model.safetensors"), { seed: 0, threads: 1 });
const tok = await loadTokenizer(config.tokenizer);
const sinks = Number(arg("sinks", "4")), recent = Number(arg("cache", String(config.contextLength - sinks)));
const marks = new Set();
for (let m = 1000; m <= tokens; m *= 10) for (const f of [1, 2, 5]) if (f * m <= tokens) marks.add(f * m);
marks.add(tokens);
const start = process.hrtime.bigint();
const mib = (b) => Math.round((b / 2 ** 20) * 10) / 10;
// peak RSS so far (getrusage), then — after a full GC when node runs with --expose-gc — the live memory
const report = (m) => {
  const peak = process.resourceUsage().maxRSS * 1024;
  globalThis.gc?.();
  const u = process.memoryUsage();
  console.log(JSON.stringify({
    tokens: m, cache: grow ? "growing" : { sinks, recent }, peak_rss_mib: mib(peak), rss_mib: mib(u.rss),
    heap_used_mib: mib(u.heapUsed), heap_total_mib: mib(u.heapTotal), external_mib: mib(u.external), array_buffers_mib: mib(u.arrayBuffers),
    seconds: Math.round(Number(process.hrtime.bigint() - start) / 1e7) / 100,
  }));
};
// count the tokens the decoder consumes (the prompt's included): a report at each mark
const counting = {
  startDecoding: (o) => {
    const d = model.startDecoding(o);
    return {
      get length() { return d.length; },
      feed: (ids) => {
        const out = d.feed(ids);
        for (const m of [...marks]) if (d.length >= m) { marks.delete(m); report(m); }
        return out;
      },
    };
  },
};
generate(counting, tok, "The ", { maxTokens: tokens, temperature: 1, topK: 0, topP: 1, seed: 1, ...(grow ? {} : { cache: { sinks, recent } }) }, () => {});
await model.dispose();
