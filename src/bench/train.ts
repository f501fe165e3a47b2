/**
 * Bench (b)–(d): training tokens/s, evaluation tokens/s at 8×T and evaluation memory. The PyTorch side
 * runs the peer script `shared/peers/torch_gpt.py <configs> <threads>`, which prints one JSON object
 * per config: {config, pe, threads, train_tokens_per_s, eval_tokens_per_s, …}.
 * Our side comes with the model (src/model/): until then `trainExtrapos` reports a skip line.
 */
import type { BenchLine } from "./lines.js";
import { findTorchGpt, runPython } from "./peer.js";

export const TRAIN_CONFIGS = { tiny: { T: 128 }, small: { T: 256 } } as const;
export type TrainConfig = keyof typeof TRAIN_CONFIGS;

export function trainPytorch(configs: readonly TrainConfig[], threads: number): BenchLine[] {
  const script = findTorchGpt();
  if (!script) return [{ name: "skip", what: "pytorch train/eval", why: "shared/peers/torch_gpt.py not found beside or inside the repository (set EXTRAPOS_PEERS_DIR)" }];
  const lines: BenchLine[] = [];
  for (const r of runPython([script, configs.join(","), String(threads)], threads)) {
    const config = String(r.config) as TrainConfig;
    const common = { impl: "pytorch" as const, config, threads: Number(r.threads), torch: r.torch };
    lines.push({ name: "train", ...common, pe: String(r.pe), tokens_per_s: Number(r.train_tokens_per_s) });
    lines.push({ name: "eval", ...common, length: 8 * TRAIN_CONFIGS[config].T, batch: 1, tokens_per_s: Number(r.eval_tokens_per_s) });
  }
  return lines;
}

export function trainExtrapos(_configs: readonly TrainConfig[], _threads: number): BenchLine[] {
  return [{ name: "skip", what: "extrapos train/eval/eval_memory", why: "the model (src/model/) is not implemented yet" }];
}
