/** extrapos evaluation: loss / perplexity / loss per position at any length, passkey, synthetic-task accuracy, RoPE scaling at evaluation, generation. */
export { bucketCurve, checkEvalLengths, DEFAULT_EVAL, evalWindows, evaluate, type EvalResult, type EvaluateOptions } from "./evaluate.js";
export { DEFAULT_PASSKEY_SEED, passkeyAccuracy, predictAnswer, type PasskeyOptions } from "./passkey.js";
export { DEFAULT_LLAMA3_FREQ_FACTORS, ROPE_SCALING_TYPES, ropeScalingDict, type RopeScalingRequest, type RopeScalingType } from "./rope-scaling.js";
export { chat, DEFAULT_GENERATE, generate, sampleContinuation, type GenerateOptions } from "./generate.js";
export { evaluateRun, evaluateTaskRun, loadRunCheckpointForEval, readTextTokens, resolveRopeScaling, runTask, type EvaluateRunOptions, type EvaluateTaskRunOptions } from "./run.js";
export { checkTaskEval, DEFAULT_TASK_EVAL, evaluateTask, predictAnswers, scoreExamples, type TaskEvalOptions, type TaskEvalResult } from "./task.js";
export { DEFAULT_SAMPLING, sampleNextToken, samplingDistribution, validateSampling, type SamplingOptions } from "./sampling.js";
