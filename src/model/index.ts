/**
 * `src/model/`: model configs, the parameter table (= checkpoint keys), safetensors checkpoints and the
 * float64 reference forward passes. The engine-backed models (gpt.ts, lstm.ts) build on these.
 */
export * from "./config.js";
export * from "./params.js";
export * from "./safetensors.js";
export * from "./checkpoint.js";
export * from "./reference.js";
export * from "./torch-debug-state.js";
export * from "./lm.js";
export { createModel, loadModelFromCheckpoint, type CreateModelOptions } from "./factory.js";
export { createTransformer, Transformer, type TransformerOptions } from "./gpt/index.js";
