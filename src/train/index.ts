/** extrapos training: configs, the loop, run directories, resume, logs. browser.ts is the browser-safe subset. */
export * from "./browser.js";
export { checkResumeConfig, holdsRun, loadRunCheckpoint, readRunConfig, refuseExistingRun } from "./run-dir.js";
export { describeRun, resolveRunConfigs, trainRun, type TrainRunOptions } from "./run.js";
export { runDirSink, train, type TrainOptions } from "./trainer.js";
export * from "./log/index.js";
