// Passkey retrieval by the key's distance from the question, from a bench folder's passkey fine-tuned copies:
// `node scripts/passkey-distance.mjs reports/<timestamp> [TRIALS] [--methods a,b,…]` (default 32 trials per length
// and seed; every method of the folder).
// For every method with a fine-tuned copy (eval variants: the rope copy with their RoPE scaling, factor n/L)
// and every evaluation length n, the mixed-passkey trials (src/eval/passkey-mix.ts, keys at depths 0 … 1) are
// split into "far" (the key more than L tokens before the end: a distance never seen in fine-tuning) and
// "near", and the per-digit accuracy of each group is averaged over the trials of every seed.
// Prints a Markdown table: far (near) per length. Randomized-position models are scored as their paper (and the
// bench) evaluates them — Ruoss et al.'s reference protocol: fresh sorted random positions from [0, max_length)
// for every batch of trials, seeded — averaged over DEFAULT_POSITION_DRAWS (3) draws per trial. Methods the bench
// reads in segments (transformer-xl-mem) are read in segments of L with a memory of L here too.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadCheckpoint } from "../dist/model/checkpoint.js";
import { defaultModelFactory } from "../dist/train/model-factory.js";
import { passkeyMixExamples } from "../dist/data/passkey-mix.js";
import { scoreExamples } from "../dist/eval/task.js";
import { byteTokenizer } from "../dist/data/tokenizer.js";
import { loadCorpus } from "../dist/data/corpus.js";
import { ropeScalingAt } from "../dist/report/experiment.js";
import { BENCH_METHODS } from "../dist/report/presets.js";
import { DEFAULT_POSITION_DRAWS } from "../dist/eval/run.js";

const argv = process.argv.slice(2);
const mi = argv.indexOf("--methods");
const only = mi >= 0 ? argv.splice(mi, 2)[1]?.split(",") : undefined;
const [dir, trialsArg] = argv;
if (!dir || !existsSync(join(dir, "results.json"))) {
  console.error("usage: node scripts/passkey-distance.mjs REPORT_DIR [TRIALS] [--methods a,b,…]");
  process.exit(2);
}
const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
if (only) r.methods = r.methods.filter((m) => only.includes(m.name));
const L = r.train_len, lens = r.eval_lens, trials = Number(trialsArg ?? 32);
const factory = await defaultModelFactory();
const text = byteTokenizer.encode(loadCorpus(r.config.data === null ? { kind: "brown" } : { kind: "text", data: r.config.data }).test);
const mean = (xs) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2) : "-");
console.log(`Per-digit passkey accuracy by the key's distance from the question, ${trials} trials × ${r.seeds.length} seeds per length: far (> L = ${L} tokens back) and, in brackets, near (≤ L).\n`);
console.log(`| method | ${lens.join(" | ")} |`);
console.log(`|---|${lens.map(() => "---:").join("|")}|`);
for (const m of r.methods) {
  const spec = BENCH_METHODS[m.name];
  const base = spec.kind === "eval-variant" ? spec.base : m.name;
  if (spec.kind === "eval-variant" && !spec.ropeType) continue;
  const groups = lens.map(() => ({ near: [], far: [] }));
  let found = false;
  for (const seed of r.seeds) {
    const path = join(dir, "runs", `${base}-s${seed}`, "passkey", "model.safetensors");
    if (!existsSync(path)) continue;
    found = true;
    const ck = loadCheckpoint(path);
    // the reference protocol for randomized positions: a fresh seeded draw per batch, averaged over the draws
    const draws = ck.config.pe.randomized ? DEFAULT_POSITION_DRAWS : 1;
    // read as the bench reads it: transformer-xl-mem in segments of L with a memory of L
    const cache = spec.kind === "trained" && spec.evalSegments ? { sinks: 0, recent: L, segment: L } : null;
    const model = await factory(ck.config, { seed: 0, params: ck.params, threads: 1 });
    try {
      lens.forEach((n, i) => {
        const ex = passkeyMixExamples(byteTokenizer, text, n, trials, 1234);
        const scaling = spec.kind === "eval-variant" ? ropeScalingAt(spec.ropeType, n, L) : null;
        const perToken = ex.map(() => 0);
        for (let d = 0; d < draws; d++) {
          const evalOpts = { ...(scaling ? { ropeScaling: scaling } : {}), ...(ck.config.pe.randomized ? { randomPositions: { seed: d } } : {}) };
          const s = scoreExamples(model, ex, { rows: Math.max(1, Math.floor(4096 / n)), loss: false, evalOpts, ...(cache ? { cache } : {}) });
          s.perToken.forEach((v, k) => { perToken[k] += v / draws; });
        }
        ex.forEach((e, k) => (n - e.keyPosition > L ? groups[i].far : groups[i].near).push(perToken[k]));
      });
    } finally {
      await model.dispose();
    }
  }
  if (found) console.log(`| ${m.name} | ${groups.map((g) => `${mean(g.far)} (${mean(g.near)})`).join(" | ")} |`);
}
