/** extrapos training: configs, the loop, run directories, resume, logs. */
export { DEFAULT_TRAINING_JSON, parseTrainingConfig, runSeeds, trainingConfigToJson, type TrainingConfig } from "./config.js";
export { checkMemory, estimateEvalBytes, estimateTrainBytes, formatBytes, WASM_MEMORY_LIMIT_BYTES } from "./memory.js";
export { defaultModelFactory, type ModelFactory, type ModelFactoryOptions } from "./model-factory.js";
export { checkResumeConfig, holdsRun, loadRunCheckpoint, readRunConfig, refuseExistingRun, RUN_FILES, tokenFingerprint, type RunConfig, type RunData } from "./run-dir.js";
export { describeRun, resolveRunConfigs, trainRun, type TrainRunOptions } from "./run.js";
export { meanWindowLoss, train, TrainingInterrupted, validationWindows, type TrainData, type TrainDeps, type TrainOptions, type TrainProgress, type TrainSummary } from "./trainer.js";
export { DEFAULT_LR_SCHEDULE, learningRate, parseLrSchedule, type LrSchedule } from "./schedule.js";
export * from "./log/index.js";
