/** extrapos evaluation: loss / perplexity / loss per position at any length, passkey, synthetic-task accuracy, RoPE scaling at evaluation, generation. browser.ts is the browser-safe subset. */
export * from "./browser.js";
export { evaluateRun, evaluateTaskRun, loadRunCheckpointForEval, readTextTokens, resolveRopeScaling, runTask, type EvaluateRunOptions, type EvaluateTaskRunOptions } from "./run.js";
