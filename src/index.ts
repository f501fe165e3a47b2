/**
 * extrapos: the package root. Re-exports everything of the browser-safe root (browser.ts: every
 * encoding — also `extrapos/pe` — the engine, models, tokenizers and batching, the training loop,
 * evaluation and generation) and adds the Node-only headline API that reads and writes files; the
 * full APIs are `extrapos/engine`, `extrapos/model`, `extrapos/data`, `extrapos/train` and `extrapos/eval`.
 *
 * Example:
 *   import { trainRun, evaluateRun } from "extrapos";
 *   await trainRun({ out: "runs/alibi", model: { pe: "alibi", context_length: 64 }, training: { steps: 300 } });
 *   const r = await evaluateRun("runs/alibi", { lengths: [64, 256, 1024] });   // r.ppl
 */
export * from "./browser.js";
export { loadModelFromCheckpoint } from "./model/load.js";
export { loadCheckpoint, saveCheckpoint } from "./model/checkpoint.js";
export { loadCorpus, type CorpusSpec } from "./data/index.js";
export { trainRun, type TrainRunOptions } from "./train/index.js";
export { evaluateRun, evaluateTaskRun, type EvaluateRunOptions } from "./eval/index.js";
