/**
 * `src/model/gpt/`: the transformer LM on the engine (transformer.ts), its call lists (train-pass.ts,
 * eval-pass.ts), activation plans (acts.ts), the KV-cache decoder (decoder.ts) and one adapter per
 * positional encoding (encodings/). See docs/model.md.
 *
 * Example:
 *   const engine = await createEngine({ threads: 2 });
 *   const model = createTransformer(parseModelConfig({ d_model: 64, n_layers: 2, n_heads: 2, pe: "alibi" }), { engine, seed: 0 });
 *   model.zeroGrad(); const loss = model.forwardBackward(batch, 1); model.optimizerStep(3e-4, 1.0);
 */
import type { ModelConfig } from "../config.js";
import { Transformer, type TransformerOptions } from "./transformer.js";

export { Transformer, type TransformerOptions } from "./transformer.js";
export { Float64Decoder } from "./decoder.js";
export { ENCODING_ADAPTERS, createEncoding } from "./encodings/index.js";
export { EVAL_ROPE_TYPES, modelRopeParams } from "./encodings/rope.js";

/** The transformer on an existing engine (the caller keeps ownership of the engine unless `ownsEngine`). */
export function createTransformer(cfg: ModelConfig, opts: TransformerOptions): Transformer {
  return new Transformer(cfg, opts);
}
