/**
 * The browser-safe part of `extrapos/eval` (the `browser` export condition): evaluation at any
 * length, passkey, task accuracy, RoPE scaling at evaluation, sampling, generation and chat on a
 * model in memory. Evaluating a run directory (`evaluateRun`, …) is Node only: see index.ts.
 */
export { bucketCurve, checkEvalLengths, DEFAULT_EVAL, evalWindows, evaluate, type EvalResult, type EvaluateOptions } from "./evaluate.js";
export { DEFAULT_PASSKEY_SEED, passkeyAccuracy, predictAnswer, type PasskeyOptions } from "./passkey.js";
export { DEFAULT_LLAMA3_FREQ_FACTORS, ROPE_SCALING_TYPES, ropeScalingDict, type RopeScalingRequest, type RopeScalingType } from "./rope-scaling.js";
export { chat, DEFAULT_GENERATE, generate, generateStream, sampleContinuation, type GenerateOptions } from "./generate.js";
export { checkTaskEval, DEFAULT_TASK_EVAL, evaluateTask, predictAnswers, scoreExamples, type TaskEvalOptions, type TaskEvalResult } from "./task.js";
export { DEFAULT_SAMPLING, sampleNextToken, samplingDistribution, validateSampling, type SamplingOptions } from "./sampling.js";
