/**
 * extrapos in a browser (the `browser` export condition of the package root, picked by Vite and
 * esbuild): every encoding, the engine, the models, tokenizers and batching, the training loop
 * (writing through a `RunSink`), evaluation and generation — everything but file I/O, which is Node
 * only (the Node root adds trainRun, evaluateRun, loadCorpus, …). See docs/browser.md.
 *
 * Example (inside a module Web Worker of a cross-origin-isolated page):
 *   import { createEngine, parseModelConfig, parseTrainingConfig, trainLoop, memoryRunSink, createModel } from "extrapos";
 *   const sink = memoryRunSink({ onMetric: (r) => postMessage(r) });
 *   await trainLoop({ model, training, data, from: null, progress: false }, { createModel }, sink);
 */
export * from "./pe/index.js";
export * from "./engine/index.js";
export * from "./model/browser.js";
export * from "./data/browser.js";
export * from "./train/browser.js";
export * from "./eval/browser.js";
// Names two layers define (the model's take precedence, as the Node root exports them).
export type { PeKind, TokenizerName } from "./model/config.js";
export type { TokenBatch } from "./model/lm.js";
