/**
 * Loading a checkpoint file into a model (Node only; in a browser decode the bytes with
 * `decodeCheckpoint` and call `modelFromCheckpoint`).
 *
 * Example:
 *   const { model, step } = await loadModelFromCheckpoint("run/model.safetensors", { threads: 1, seed: 0 });
 */
import { loadCheckpoint } from "./checkpoint.js";
import type { ModelConfig } from "./config.js";
import { modelFromCheckpoint } from "./factory.js";
import type { TrainableModel } from "./lm.js";

/**
 * Loads a checkpoint (validated by `loadCheckpoint`; with `expected`, refuses another config) into a
 * new model of its own config. Returns the model, its config and the training step.
 */
export async function loadModelFromCheckpoint(
  path: string, opts: { threads?: number; seed: number; expected?: ModelConfig },
): Promise<{ model: TrainableModel; config: ModelConfig; step: number }> {
  const ckpt = loadCheckpoint(path, opts.expected);
  const model = await modelFromCheckpoint(ckpt, { seed: opts.seed, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
  return { model, config: ckpt.config, step: ckpt.step };
}
