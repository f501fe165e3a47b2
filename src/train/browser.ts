/**
 * The browser-safe part of `extrapos/train` (the `browser` export condition): configs, schedule,
 * memory estimates, the training loop with its `RunSink`, the in-memory run (`memoryRunSink`,
 * `runFolderFiles`, `tarArchive`) and the run folder's formats. The run directory, metrics and
 * TensorBoard files and `trainRun` are Node only: see index.ts.
 */
export { DEFAULT_TRAINING_JSON, parseTrainingConfig, runSeeds, trainingConfigToJson, type TrainingConfig } from "./config.js";
export { checkMemory, estimateEvalBytes, estimateTrainBytes, formatBytes, WASM_MEMORY_LIMIT_BYTES } from "./memory.js";
export { defaultModelFactory, type ModelFactory, type ModelFactoryOptions } from "./model-factory.js";
export { encodeRunCheckpoint, parseRunConfig, RUN_FILES, runConfigToJson, tokenFingerprint, type RunCheckpoint, type RunConfig, type RunData, type TrainMeta } from "./run-format.js";
export { trainLoop, TrainingInterrupted, type RunSink, type TrainDeps, type TrainLoopOptions, type TrainProgress, type TrainSummary } from "./loop.js";
export { meanWindowLoss, validationWindows, type TaskTrainData, type TextTrainData, type TrainData } from "./source.js";
export { memoryRunSink, runFolderFiles, tarArchive, type MemoryRunSink, type MemoryRunSinkOptions } from "./run-folder.js";
export { DEFAULT_LR_SCHEDULE, learningRate, parseLrSchedule, type LrSchedule } from "./schedule.js";
export { metricLine, type MetricRecord, type MetricValue } from "./log/metric-line.js";
