/**
 * `src/model/`: model configs, the parameter table (= checkpoint keys), safetensors checkpoints and the
 * float64 reference forward passes. The engine-backed models (gpt.ts, lstm.ts) build on these.
 * browser.ts is the browser-safe subset; this entry adds the file I/O (Node).
 */
export * from "./browser.js";
export * from "./safetensors.js";
export * from "./checkpoint.js";
export * from "./torch-debug-state.js";
export { loadModelFromCheckpoint } from "./load.js";
