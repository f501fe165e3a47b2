/**
 * How the trainer, the evaluator and the CLI get a model: a factory with the signature of
 * `createModel` in src/model/factory.ts, passed in (dependency injection), so that tests run the
 * same loops on a small plain-JS model and the loops never branch on the kind of model.
 *
 * `defaultModelFactory()` loads the real factory lazily. The specifier is kept in a variable so
 * the build stays green while src/model/factory.ts does not exist yet; once it does, this can
 * become a static `import { createModel } from "../model/factory.js"` (one line).
 *
 * Example: `const model = await (await defaultModelFactory())(config, { seed: 1234 })`
 */
import { ExtraposError } from "../pe/errors.js";
import type { ModelConfig } from "../model/config.js";
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

const FACTORY_MODULE = "../model/factory.js";

/** The real model factory (src/model/factory.ts), or an error saying it is not built in. */
export async function defaultModelFactory(): Promise<ModelFactory> {
  let mod: { createModel?: ModelFactory };
  try {
    mod = (await import(FACTORY_MODULE)) as { createModel?: ModelFactory };
  } catch (e) {
    throw new ExtraposError("internal", `the model factory (src/model/factory.ts) is not available in this build: ${(e as Error).message.split("\n")[0]}`);
  }
  if (typeof mod.createModel !== "function") throw new ExtraposError("internal", "src/model/factory.ts does not export `createModel`");
  return mod.createModel;
}
