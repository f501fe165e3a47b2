/**
 * Model factory: one entry point from a `ModelConfig` to a `TrainableModel`, dispatching on
 * `cfg.model`, plus a model from a decoded checkpoint (`loadModelFromCheckpoint` in load.ts reads the
 * file, Node only). The trainer, evaluator and CLI call these and
 * never branch on the kind of model.
 *
 * Example:
 *   const model = await createModel(parseModelConfig({ pe: "alibi" }), { threads: 2, seed: 0 });
 *   const m2 = await modelFromCheckpoint(decodeCheckpoint(bytes, "model.safetensors"), { threads: 1, seed: 0 });
 */
import { ExtraposError, show } from "../pe/errors.js";
import type { Engine } from "../engine/engine.js";
import { createEngine } from "../engine/threads/pool.js";
import type { Checkpoint } from "./checkpoint-codec.js";
import type { ModelConfig } from "./config.js";
import type { TrainableModel } from "./lm.js";
import { createTransformer } from "./gpt/index.js";
import { createLstm } from "./lstm/index.js";

export interface CreateModelOptions {
  /** Engine threads including the caller's; default "auto" (available cores). */
  threads?: number;
  /** Seeds the initialisation (without `params`) and any model-internal randomness. */
  seed: number;
  /** Parameters by table name (e.g. from a checkpoint); default: a fresh initialisation. */
  params?: Map<string, Float32Array>;
}

/** Creates the engine and the model of `cfg.model`; the model owns (and disposes) the engine. */
export async function createModel(cfg: ModelConfig, opts: CreateModelOptions): Promise<TrainableModel> {
  if (cfg.model !== "transformer" && cfg.model !== "lstm") throw new ExtraposError("invalid_config", `\`model\` must be "transformer" or "lstm", got ${show(cfg.model)}`);
  const engine = await createEngine({ threads: opts.threads ?? "auto" });
  try {
    const params = opts.params ? { params: opts.params } : {};
    if (cfg.model === "lstm") return ownEngine(createLstm(cfg, { engine, seed: opts.seed, ...params }), engine);
    return createTransformer(cfg, { engine, seed: opts.seed, ownsEngine: true, ...params });
  } catch (e) {
    await engine.dispose();
    throw e;
  }
}

/** The LSTM takes a caller-owned engine; here the factory created it, so disposing the model stops it. */
function ownEngine(model: TrainableModel, engine: Engine): TrainableModel {
  const dispose = model.dispose.bind(model);
  model.dispose = async () => {
    await dispose();
    await engine.dispose();
  };
  return model;
}

/** A new model of a checkpoint's own config with its parameters (see `decodeCheckpoint`). */
export async function modelFromCheckpoint(ckpt: Checkpoint, opts: { threads?: number; seed: number }): Promise<TrainableModel> {
  return createModel(ckpt.config, { seed: opts.seed, params: ckpt.params, ...(opts.threads !== undefined ? { threads: opts.threads } : {}) });
}
