// Passkey retrieval by the key's distance from the question, from a bench folder's passkey fine-tuned copies:
// `node scripts/passkey-distance.mjs reports/<timestamp> [TRIALS]` (default 32 trials per length and seed).
// For every method with a fine-tuned copy (eval variants: the rope copy with their RoPE scaling, factor n/L)
// and every evaluation length n, the mixed-passkey trials (src/eval/passkey-mix.ts, keys at depths 0 … 1) are
// split into "far" (the key more than L tokens before the end: a distance never seen in fine-tuning) and
// "near", and the per-digit accuracy of each group is averaged over the trials of every seed.
// Prints a Markdown table: far (near) per length. Randomized-position models are left out (their evaluation
// draws random positions, which this script does not).
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

const [dir, trialsArg] = process.argv.slice(2);
if (!dir || !existsSync(join(dir, "results.json"))) {
  console.error("usage: node scripts/passkey-distance.mjs REPORT_DIR [TRIALS]");
  process.exit(2);
}
const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
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
    if (ck.config.pe.randomized) break; // random positions (the reference protocol) are not drawn here: left out
    const model = await factory(ck.config, { seed: 0, params: ck.params, threads: 1 });
    try {
      lens.forEach((n, i) => {
        const ex = passkeyMixExamples(byteTokenizer, text, n, trials, 1234);
        const scaling = spec.kind === "eval-variant" ? ropeScalingAt(spec.ropeType, n, L) : null;
        const s = scoreExamples(model, ex, { rows: Math.max(1, Math.floor(4096 / n)), loss: false, evalOpts: scaling ? { ropeScaling: scaling } : {} });
        ex.forEach((e, k) => (n - e.keyPosition > L ? groups[i].far : groups[i].near).push(s.perToken[k]));
      });
    } finally {
      await model.dispose();
    }
  }
  if (found) console.log(`| ${m.name} | ${groups.map((g) => `${mean(g.far)} (${mean(g.near)})`).join(" | ")} |`);
}
