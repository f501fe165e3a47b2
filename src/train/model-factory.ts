/**
 * How the trainer, the evaluator and the CLI get a model: a factory with the signature of
 * `createModel` in src/model/factory.ts, passed in (dependency injection), so that tests run the
 * same loops on a small plain-JS model and the loops never branch on the kind of model.
 *
 * `defaultModelFactory()` returns the real factory (src/model/factory.ts).
 *
 * Example: `const model = await (await defaultModelFactory())(config, { seed: 1234 })`
 */
import type { ModelConfig } from "../model/config.js";
import { createModel } from "../model/factory.js";
import type { TrainableModel } from "../model/lm.js";

export interface ModelFactoryOptions {
  /** Engine worker threads (undefined = the engine's default). */
  threads?: number;
  /** Initialisation seed (ignored for tensors given in `params`). */
  seed: number;
  /** Parameters to load instead of initialising (checkpoint tensors by name). */
  params?: Map<string, Float32Array>;
}

export type ModelFactory = (cfg: ModelConfig, opts: ModelFactoryOptions) => Promise<TrainableModel>;

/** The real model factory (src/model/factory.ts). */
export async function defaultModelFactory(): Promise<ModelFactory> {
  return createModel;
}
