/**
 * The training loop: model-agnostic (any `TrainableModel` from an injected factory), exactly
 * resumable, interruptible.
 *
 * One optimizer step s (1-based; `step` in logs = optimizer steps done):
 *   zeroGrad; for each of `gradAccum` micro-batches: B random windows of T+1 tokens from the
 *   seeded sampler (or, for a task run, B freshly generated examples; src/train/source.ts) →
 *   forwardBackward(batch, 1/gradAccum) (so the gradient is the mean over all
 *   micro-batches); lr = warmup+cosine(s − 1) (schedule.ts, decay to min_lr at the last step);
 *   optimizerStep(lr, clip) (clip 0 = no clipping) → the gradient norm before clipping.
 *   train loss of the step = mean of the micro-batch losses.
 * Randomized encodings (`pe.randomized`): each row gets sorted random position ids in
 * [0, max_length) from the positions stream (Ruoss et al.); otherwise positions are 0…T−1.
 * Validation: mean NLL over a fixed set of `eval_windows` non-overlapping windows of length T,
 * evenly spaced over the valid split (the same windows at every evaluation and after a resume);
 * for a task run, over the answer tokens of `eval_windows` fixed seeded examples.
 *
 * Resume: the train state (parameters, AdamW state, sampler and RNG states) of the last complete
 * checkpoint is restored, metrics.jsonl is truncated to that step, and the run continues; every
 * loss after that is bit-identical to the uninterrupted run's (same build; the run's thread count
 * is kept, though 1 and 2 threads give the same bits). Interrupt (`signal` aborted, e.g. Ctrl-C): the current step finishes, a
 * checkpoint is written, and `TrainingInterrupted` is thrown.
 *
 * Example:
 *   const summary = await train({ runDir: "runs/a", model, training, data, resume: false }, { createModel });
 */
import { existsSync, mkdirSync } from "node:fs";
import { envError } from "../data/env-errors.js";
import { lockFolder } from "../data/folder-lock.js";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import type { ModelConfig } from "../model/config.js";
import type { TrainingConfig } from "./config.js";
import { MetricsWriter, truncateMetrics, type MetricRecord } from "./log/metrics.js";
import type { ProgressStream } from "./log/progress.js";
import { TensorBoardWriter } from "./log/tfevents.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import { trainLoop, type RunSink, type TrainDeps, type TrainProgress, type TrainSummary } from "./loop.js";
import { checkResumeConfig, clearAbandonedStart, discardNewRun, loadRunCheckpoint, refuseExistingRun, RUN_FILES, saveRunCheckpoint, writeRunConfig, type RunData } from "./run-dir.js";
import { checkData, runData, type TrainData } from "./source.js";

export { checkData, meanWindowLoss, validationWindows, type TrainData } from "./source.js";
export { TrainingInterrupted, type TrainDeps, type TrainProgress, type TrainSummary } from "./loop.js";

export interface TrainOptions {
  runDir: string;
  model: ModelConfig;
  training: TrainingConfig;
  data: TrainData;
  /** Continue the run in `runDir` (its stored config must equal `model` and `training`). */
  resume: boolean;
  onProgress?: (p: TrainProgress) => void;
  /** Aborting finishes the current step, checkpoints, and throws `TrainingInterrupted`. */
  signal?: AbortSignal;
  /** Progress bar stream (default stderr); false = no bar and no messages. */
  progress?: ProgressStream | false;
  /** Prefix of the progress line (e.g. a method name). */
  label?: string;
}

/** Refuses a resume whose config or data differ from the stored run. */
function checkResume(opts: TrainOptions, data: RunData): void {
  const stored = checkResumeConfig(opts.runDir, opts);
  if (stored.data.fingerprint !== data.fingerprint) {
    throw new ExtraposError("invalid_argument", `cannot resume ${opts.runDir} on other data: its training text had ${stored.data.trainTokens} + ${stored.data.validTokens} tokens (fingerprint ${stored.data.fingerprint}), this one ${data.trainTokens} + ${data.validTokens} (${data.fingerprint})`);
  }
}

/** The TensorBoard scalars of a metrics record (everything but `step` and `elapsed_s`). */
function tensorBoardScalars(rec: MetricRecord): Record<string, number> {
  const { step: _s, elapsed_s: _e, ...scalars } = rec;
  return scalars as Record<string, number>;
}

/** The run directory as a `RunSink`: config.json, metrics.jsonl, TensorBoard events, checkpoints (run-dir.ts). */
export function runDirSink(runDir: string): RunSink {
  let metrics: MetricsWriter | undefined, tb: TensorBoardWriter | undefined;
  return {
    where: runDir,
    open(run, resumeAt) {
      if (resumeAt !== null) truncateMetrics(join(runDir, RUN_FILES.metrics), resumeAt);
      else {
        mkdirSync(runDir, { recursive: true });
        writeRunConfig(runDir, run);
      }
      metrics = new MetricsWriter(join(runDir, RUN_FILES.metrics));
      tb = new TensorBoardWriter(runDir);
    },
    metric(rec) {
      metrics!.append(rec);
      tb!.scalars(rec.step, tensorBoardScalars(rec));
    },
    checkpoint(config, ckpt) {
      metrics!.flush();
      tb!.flush();
      saveRunCheckpoint(runDir, config, ckpt);
    },
    close() {
      metrics?.close();
      tb?.close();
    },
  };
}

/** The parameters of `training.init_from` (a run folder's model.safetensors), checked against the model config. */
function initFromParams(dir: string, cfg: ModelConfig): Map<string, Float32Array> {
  const path = join(dir, RUN_FILES.model);
  if (!existsSync(path)) throw new ExtraposError("io", `\`training.init_from\`: ${JSON.stringify(dir)} has no ${RUN_FILES.model}`, "give the folder of a finished run with the same model config");
  return loadCheckpoint(path, cfg).params;
}

/**
 * Trains (or resumes) one run in `opts.runDir`; see the file header. The folder is locked for the whole
 * session (src/data/folder-lock.ts: one process at a time; stale temp files of dead writers removed). A
 * new run that fails before its first checkpoint removes what it wrote (and the folder when it created
 * it), so the same `--out` can be used again; a folder left by a run killed before its first
 * checkpoint is taken over the same way.
 */
export async function train(opts: TrainOptions, deps: TrainDeps): Promise<TrainSummary> {
  const { model: cfg, training: tc, runDir } = opts;
  checkData(opts.data, cfg.contextLength);
  const created = !existsSync(runDir);
  const lock = lockFolder(runDir, opts.resume ? "train --resume" : "train");
  let wroteConfig = false, checkpointed = false, failed = true;
  try {
    if (opts.resume) checkResume(opts, runData(opts.data, cfg.contextLength, tc));
    else {
      refuseExistingRun(runDir);
      clearAbandonedStart(runDir);
    }
    const from = opts.resume ? loadRunCheckpoint(runDir, cfg) : null;
    const initParams = from === null && tc.initFrom !== null ? initFromParams(tc.initFrom, cfg) : undefined;
    const { runDir: _r, resume, ...rest } = opts;
    const dir = runDirSink(runDir);
    const sink: RunSink = {
      ...dir,
      open(run, resumeAt) {
        if (resumeAt === null) wroteConfig = true;
        dir.open(run, resumeAt);
      },
      checkpoint(config, ckpt) {
        dir.checkpoint(config, ckpt);
        checkpointed = true;
      },
    };
    const s = await trainLoop({ ...rest, from, resume, ...(initParams ? { initParams } : {}) }, deps, sink);
    failed = false;
    return s;
  } catch (e) {
    throw envError(e, runDir) ?? e;
  } finally {
    lock.release();
    if (failed && !opts.resume && wroteConfig && !checkpointed) discardNewRun(runDir, created);
  }
}
