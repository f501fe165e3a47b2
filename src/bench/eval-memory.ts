/**
 * Child process of the bench (see train.ts `evalMemoryExtrapos`): evaluates the tiny RoPE model on
 * one window of 16,384 random byte tokens and prints one `eval_memory` JSON line with the process's
 * peak resident set size (`process.resourceUsage().maxRSS`).
 */
import { createModel } from "../model/factory.js";
import { Rng } from "../pe/random.js";
import { benchModelConfig, EVAL_MEMORY_LENGTH } from "./train.js";
import { round3 } from "./timing.js";

const threads = Number(process.argv[2] ?? "1");
const T = EVAL_MEMORY_LENGTH;
const model = await createModel(benchModelConfig("tiny"), { seed: 0, threads });
const rng = new Rng(1);
const ids = Int32Array.from({ length: T + 1 }, () => rng.int(256));
const t = performance.now();
const nll = model.nll({ B: 1, T, inputs: ids.subarray(0, T), targets: ids.subarray(1) });
const seconds = (performance.now() - t) / 1000;
await model.dispose();
let finite = true;
for (const x of nll) if (!Number.isFinite(x)) finite = false;
process.stdout.write(JSON.stringify({
  name: "eval_memory", config: "tiny", length: T, threads, peak_rss_mb: round3(process.resourceUsage().maxRSS / 1024),
  seconds: round3(seconds), tokens_per_s: round3(T / seconds), finite,
}) + "\n");
