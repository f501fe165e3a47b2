/**
 * Bench (b)–(d): training tokens/s, evaluation tokens/s at 8×T and evaluation memory, for the reference
 * model of issue 3 (tiny: d 128, 4 layers, 4 heads, T 128, batch 16; small: d 256, 6 layers, 8 heads,
 * T 256, batch 8) with RoPE, on random byte tokens, as the PyTorch peer does.
 *
 * The PyTorch side runs the repository's peer script `src/bench/peers/torch_train.py <configs> <threads>`
 * (the same model written in PyTorch), which prints
 * one JSON object per config: {config, pe, threads, train_tokens_per_s, eval_tokens_per_s, …}. It times
 * 8 steps after 2 warm-up steps, and the evaluation as 2 forward passes after 1 warm-up: we do the same.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchLine } from "./lines.js";
import { findTorchTrain, runPython } from "./peer.js";
import { parseModelConfig, type ModelConfig } from "../model/config.js";
import { createModel } from "../model/factory.js";
import type { TokenBatch, TrainableModel } from "../model/lm.js";
import { Rng } from "../pe/random.js";
import { round3 } from "./timing.js";

export const TRAIN_CONFIGS = {
  tiny: { d: 128, layers: 4, heads: 4, T: 128, B: 16 },
  small: { d: 256, layers: 6, heads: 8, T: 256, B: 8 },
} as const;
export type TrainConfig = keyof typeof TRAIN_CONFIGS;

/** The same schedule as the peer: 2 warm-up steps, then 8 timed; evaluation 1 warm-up, then 2 timed. */
const TRAIN_WARMUP = 2, TRAIN_STEPS = 8, EVAL_WARMUP = 1, EVAL_RUNS = 2;
/** Issue 3 (d): peak RSS of evaluating tiny at this many tokens in one window. */
export const EVAL_MEMORY_LENGTH = 16384;

export function trainPytorch(configs: readonly TrainConfig[], threads: number): BenchLine[] {
  const script = findTorchTrain();
  if (!script) return [{ name: "skip", what: "pytorch train/eval", why: "src/bench/peers/torch_train.py is missing from this checkout" }];
  const lines: BenchLine[] = [];
  for (const r of runPython([script, configs.join(","), String(threads)], threads)) {
    const config = String(r.config) as TrainConfig;
    const common = { impl: "pytorch" as const, config, threads: Number(r.threads), torch: r.torch };
    lines.push({ name: "train", ...common, pe: String(r.pe), tokens_per_s: Number(r.train_tokens_per_s) });
    lines.push({ name: "eval", ...common, length: 8 * TRAIN_CONFIGS[config].T, batch: 1, tokens_per_s: Number(r.eval_tokens_per_s) });
  }
  return lines;
}

export function benchModelConfig(config: TrainConfig): ModelConfig {
  const c = TRAIN_CONFIGS[config];
  return parseModelConfig({ d_model: c.d, n_layers: c.layers, n_heads: c.heads, context_length: c.T, pe: { kind: "rope" } });
}

function randomBatch(rng: Rng, B: number, T: number): TokenBatch {
  const data = Int32Array.from({ length: B * (T + 1) }, () => rng.int(256));
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    inputs.set(data.subarray(b * (T + 1), b * (T + 1) + T), b * T);
    targets.set(data.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
  }
  return { B, T, inputs, targets };
}

function trainStep(model: TrainableModel, batch: TokenBatch): void {
  model.zeroGrad();
  model.forwardBackward(batch, 1);
  model.optimizerStep(3e-4, 1.0);
}

async function measureConfig(config: TrainConfig, threads: number): Promise<BenchLine[]> {
  const c = TRAIN_CONFIGS[config];
  const model = await createModel(benchModelConfig(config), { seed: 0, threads });
  try {
    const rng = new Rng(0);
    const batch = randomBatch(rng, c.B, c.T);
    for (let i = 0; i < TRAIN_WARMUP; i++) trainStep(model, batch);
    const cpu0 = process.cpuUsage();
    let t = performance.now();
    for (let i = 0; i < TRAIN_STEPS; i++) trainStep(model, batch);
    const trainSeconds = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const Te = 8 * c.T;
    const evalBatch = randomBatch(rng, 1, Te);
    for (let i = 0; i < EVAL_WARMUP; i++) model.nll(evalBatch);
    t = performance.now();
    for (let i = 0; i < EVAL_RUNS; i++) model.nll(evalBatch);
    const evalSeconds = (performance.now() - t) / 1000;
    const common = { impl: "extrapos" as const, config, threads };
    return [
      { name: "train", ...common, pe: "rope", tokens_per_s: round3((TRAIN_STEPS * c.B * c.T) / trainSeconds), cpu_s: round3((cpu.user + cpu.system) / 1e6), wall_s: round3(trainSeconds) },
      { name: "eval", ...common, length: Te, batch: 1, tokens_per_s: round3((EVAL_RUNS * Te) / evalSeconds) },
    ];
  } finally {
    await model.dispose();
  }
}

export async function trainExtrapos(configs: readonly TrainConfig[], threads: number): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  for (const config of configs) lines.push(...(await measureConfig(config, threads)));
  return lines;
}

/**
 * Peak RSS of one evaluation of tiny at EVAL_MEMORY_LENGTH tokens in one window, measured in a fresh
 * process (so nothing else this bench allocated counts): `node dist/bench/eval-memory.js <threads>`.
 */
export function evalMemoryExtrapos(threads: number): BenchLine[] {
  const script = fileURLToPath(new URL("./eval-memory.js", import.meta.url));
  const r = spawnSync(process.execPath, [script, String(threads)], { encoding: "utf8", timeout: 900_000 });
  if (r.status !== 0) return [{ name: "skip", what: "eval_memory", why: `child exited ${r.status}: ${(r.stderr ?? "").trim().split("\n").pop()}` }];
  return [JSON.parse(r.stdout.trim().split("\n").pop()!) as BenchLine];
}
