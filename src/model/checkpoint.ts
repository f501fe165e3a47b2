/**
 * Checkpoint and train-state files (Node only): the byte formats of checkpoint-codec.ts (described
 * there), written atomically and read with every check.
 *
 * Example:
 *   const config = parseModelConfig({ d_model: 32, n_layers: 1, n_heads: 2 });
 *   saveCheckpoint("run/model.safetensors", { config, params: initParams(paramTable(config), 0), step: 0 });
 *   const { params, step } = loadCheckpoint("run/model.safetensors", config);
 */
import { readFileSync } from "node:fs";
import { ExtraposError } from "../pe/errors.js";
import type { ModelConfig } from "./config.js";
import { decodeCheckpoint, decodeTrainState, encodeCheckpoint, encodeTrainState, type Checkpoint, type TrainState } from "./checkpoint-codec.js";
import { writeFileAtomic } from "./safetensors.js";

export * from "./checkpoint-codec.js";

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ExtraposError("io", `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Saves a checkpoint atomically; refuses params that do not match the config's table. */
export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(ckpt));
}

/** Loads and validates a checkpoint (see `decodeCheckpoint`). */
export function loadCheckpoint(path: string, expected?: ModelConfig): Checkpoint {
  return decodeCheckpoint(readBytes(path), path, expected);
}

/** Saves a train state atomically (see `encodeTrainState`). */
export function saveTrainState(path: string, state: TrainState): void {
  writeFileAtomic(path, encodeTrainState(state));
}

/** Loads a train state; with `expectedStep`, refuses a state saved at another step than the checkpoint. */
export function loadTrainState(path: string, expectedStep?: number): TrainState {
  return decodeTrainState(readBytes(path), path, expectedStep);
}
