/** extrapos report: the train-short-test-long experiment (presets, plan, orchestration, results, figures, HTML). */
export { BENCH_METHODS, BENCH_METHOD_NAMES, BENCH_PRESETS, BENCH_PRESET_NAMES, DEFAULT_METHODS, FULL_METHODS, benchMethod, estimateBudget, isBenchMethod, type BenchMethod, type BenchMethodName, type BenchPreset, type BenchPresetName, type BudgetEstimate, type TimeBudget } from "./presets.js";
export { jobsOf, modelJsonFor, planFromJson, planToJson, resolvePlan, threadsAndJobs, trainedMethodOf, trainingsOf, withBases, type BenchJob, type BenchOverrides, type BenchPlan } from "./plan.js";
export type { EvalOutcome, EvalRequest, Runner, TrainingCurve, TrainOutcome, TrainProgress, TrainRequest } from "./runner.js";
export { loadState, newState, saveState, STATE_FILE, type BenchState, type JobRecord, type RunRecord } from "./state.js";
export { BenchInterrupted, evalRequests, mergeEvals, ropeScalingAt, runExperiment, writeFigures, writeReport, type ExperimentOptions } from "./experiment.js";
export { bestPerLength, buildResults, resultsCsv, resultsJson, terminalTable, type BenchResults, type EvalPoint, type MethodResult } from "./results.js";
export { allFigures, encodingFigure, resultFigures, type EncodingFigureSpec, type Figure } from "./figures.js";
export { reportHtml } from "./html.js";
export { collectEnvironment } from "./environment.js";
export { makeRealRunner, realRunner } from "./runner-real.js";
export { workerRunner } from "./runner-worker.js";
