/**
 * extrapos: the package root. Re-exports every encoding (also `extrapos/pe`) and the headline API of
 * the models, data, training and evaluation; the full APIs are `extrapos/model`, `extrapos/data`,
 * `extrapos/train` and `extrapos/eval`.
 *
 * Example:
 *   import { trainRun, evaluateRun } from "extrapos";
 *   await trainRun({ out: "runs/alibi", model: { pe: "alibi", context_length: 64 }, training: { steps: 300 } });
 *   const r = await evaluateRun("runs/alibi", { lengths: [64, 256, 1024] });   // r.ppl
 */
export * from "./pe/index.js";
export { createEngine, type EngineOptions } from "./engine/threads/pool.js";
export { engineInfo } from "./engine/wasm.js";
export { createModel, loadModelFromCheckpoint, parseModelConfig, modelConfigToJson, PRESETS, type ModelConfig, type PeConfig, type TrainableModel } from "./model/index.js";
export { loadCorpus, loadTokenizer, type CorpusSpec, type Tokenizer } from "./data/index.js";
export { trainRun, type TrainRunOptions, type TrainSummary } from "./train/index.js";
export { evaluateRun, evaluateTaskRun, generate, type EvalResult, type EvaluateRunOptions } from "./eval/index.js";
