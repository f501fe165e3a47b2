/**
 * The browser-safe part of `extrapos/model` (the `browser` export condition): configs, the parameter
 * table, safetensors and checkpoint codecs on bytes, the reference passes and the engine-backed
 * models. File I/O (readSafetensors, saveCheckpoint, loadModelFromCheckpoint, …) is Node only: see
 * index.ts.
 */
export * from "./config.js";
export * from "./params.js";
export * from "./safetensors-codec.js";
export * from "./checkpoint-codec.js";
export * from "./reference.js";
export * from "./lm.js";
export { createModel, modelFromCheckpoint, type CreateModelOptions } from "./factory.js";
export { createTransformer, Transformer, type TransformerOptions } from "./gpt/index.js";
