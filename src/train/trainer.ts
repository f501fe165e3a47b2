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
 * loss after that is bit-identical to the uninterrupted run's (same thread count: reductions
 * depend on it). Interrupt (`signal` aborted, e.g. Ctrl-C): the current step finishes, a
 * checkpoint is written, and `TrainingInterrupted` is thrown.
 *
 * Example:
 *   const summary = await train({ runDir: "runs/a", model, training, data, resume: false }, { createModel });
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { randomizedPositions } from "../pe/randomized.js";
import type { ModelConfig } from "../model/config.js";
import type { TokenBatch, TrainableModel } from "../model/lm.js";
import { runSeeds, type TrainingConfig } from "./config.js";
import { MetricsWriter, truncateMetrics, type MetricRecord } from "./log/metrics.js";
import { ProgressBar, type ProgressStream } from "./log/progress.js";
import { TensorBoardWriter } from "./log/tfevents.js";
import type { ModelFactory } from "./model-factory.js";
import { learningRate, parseLrSchedule, type LrSchedule } from "./schedule.js";
import { envError } from "../data/env-errors.js";
import { lockFolder } from "../data/folder-lock.js";
import { checkLoss, checkParams, divergence, quantityOf, type GuardContext } from "./divergence.js";
import { checkResumeConfig, clearAbandonedStart, discardNewRun, loadRunCheckpoint, refuseExistingRun, RUN_FILES, saveRunCheckpoint, writeRunConfig, type RunCheckpoint, type RunData, type TrainMeta } from "./run-dir.js";
import { checkData, openTrainSource, runData, type BatchStream, type TrainData } from "./source.js";

export { checkData, meanWindowLoss, validationWindows, type TrainData } from "./source.js";

export interface TrainProgress {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
  /** Present at the steps where validation ran. */
  validLoss?: number;
  etaSeconds: number;
}

export interface TrainSummary {
  runDir: string;
  /** Optimizer steps done (= training.steps when the run completed). */
  steps: number;
  finalTrainLoss: number;
  finalValidLoss: number;
  /** Wall time of the whole run, summed over resumed sessions. */
  wallSeconds: number;
  /** Training tokens per second in this session. */
  tokensPerSecond: number;
}

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

export interface TrainDeps {
  createModel: ModelFactory;
  /** Clock in ms (default performance.now). */
  now?: () => number;
}

/** Thrown after a checkpoint when training was interrupted (Ctrl-C); resume with `--resume runDir`. */
export class TrainingInterrupted extends Error {
  constructor(readonly runDir: string, readonly step: number) {
    super(`training interrupted at step ${step}; checkpoint saved in ${runDir} (continue with --resume ${runDir})`);
    this.name = "TrainingInterrupted";
  }
}

/** Refuses a resume whose config or data differ from the stored run. */
function checkResume(opts: TrainOptions, data: RunData): void {
  const stored = checkResumeConfig(opts.runDir, opts);
  if (stored.data.fingerprint !== data.fingerprint) {
    throw new ExtraposError("invalid_argument", `cannot resume ${opts.runDir} on other data: its training text had ${stored.data.trainTokens} + ${stored.data.validTokens} tokens (fingerprint ${stored.data.fingerprint}), this one ${data.trainTokens} + ${data.validTokens} (${data.fingerprint})`);
  }
}

interface LoopState {
  step: number;
  sampler: BatchStream;
  positionsRng: Rng | null;
  elapsedBefore: number;
  lastTrainLoss: number | null;
  lastValidLoss: number | null;
  /** Steps skipped so far for a non-finite loss or gradient norm (training.skip_nonfinite). */
  skipped: number;
}

function snapshot(model: TrainableModel, s: LoopState, elapsed: number): Parameters<typeof saveRunCheckpoint>[2] {
  const opt = model.optimizerState();
  const meta: TrainMeta = {
    sampler: s.sampler.state(),
    positionsRng: s.positionsRng ? s.positionsRng.state() : null,
    optimizerStep: opt.step,
    optimizerShapes: Object.fromEntries(opt.tensors.map((t) => [t.name, t.shape])),
    elapsedSeconds: elapsed,
    lastTrainLoss: s.lastTrainLoss,
    lastValidLoss: s.lastValidLoss,
    skippedSteps: s.skipped,
  };
  return { step: s.step, params: new Map(model.parameters().map((p) => [p.name, p.data])), optimizer: opt, meta };
}

type Randomized = { maxLength: number } | null;

function initialState(opts: TrainOptions, ckpt: RunCheckpoint | null, randomized: Randomized, sampler: BatchStream): LoopState {
  const seeds = runSeeds(opts.training);
  return {
    step: ckpt?.step ?? 0,
    sampler,
    positionsRng: randomized ? (ckpt?.meta.positionsRng ? Rng.fromState(ckpt.meta.positionsRng) : new Rng(seeds.positions)) : null,
    elapsedBefore: ckpt?.meta.elapsedSeconds ?? 0,
    lastTrainLoss: ckpt?.meta.lastTrainLoss ?? null,
    lastValidLoss: ckpt?.meta.lastValidLoss ?? null,
    skipped: ckpt?.meta.skippedSteps ?? 0,
  };
}

type StepResult = { loss: number; lr: number; gradNorm: number; skipped?: undefined } | { skipped: string; lr: number };

/**
 * One optimizer step (see the file header): accumulation, schedule, clip, AdamW. Advances `state.step`.
 * A non-finite loss or gradient norm (or a kernel's non-finite error) skips the step while
 * `skip_nonfinite` allows it, else stops the run (src/train/divergence.ts); so does an exploded loss.
 */
function optimizerStepOnce(model: TrainableModel, state: LoopState, tc: TrainingConfig, schedule: LrSchedule, batch: TokenBatch, randomized: Randomized, guard: GuardContext): StepResult {
  const { B, T } = batch;
  const stepNo = state.step + 1;
  const lr = learningRate(schedule, state.step);
  model.zeroGrad();
  let lossSum = 0, gradNorm: number;
  try {
    for (let a = 0; a < tc.gradAccum; a++) {
      state.sampler.next(B, { x: batch.inputs, y: batch.targets });
      if (batch.positions && randomized) {
        for (let b = 0; b < B; b++) batch.positions.set(randomizedPositions(T, randomized.maxLength, state.positionsRng!), b * T);
      }
      lossSum += model.forwardBackward(batch, 1 / tc.gradAccum);
    }
    const loss = lossSum / tc.gradAccum;
    if (!Number.isFinite(loss)) throw new ExtraposError("non_finite", `the training loss is ${loss}`);
    checkLoss(loss, stepNo, guard);
    gradNorm = model.optimizerStep(lr, tc.clip === 0 ? Infinity : tc.clip);
    if (!Number.isFinite(gradNorm)) throw new ExtraposError("non_finite", `the gradient norm is ${gradNorm}`);
    state.step++;
    state.lastTrainLoss = loss;
    return { loss, lr, gradNorm };
  } catch (e) {
    if (!(e instanceof ExtraposError) || e.code !== "non_finite" || /^training diverged/.test(e.message)) throw e;
    if (state.skipped >= tc.skipNonfinite) throw divergence(stepNo, quantityOf(e), guard);
    state.skipped++;
    state.step++;
    return { skipped: quantityOf(e), lr };
  }
}

/** The TensorBoard scalars of a metrics record (everything but `step` and `elapsed_s`). */
function tensorBoardScalars(rec: MetricRecord): Record<string, number> {
  const { step: _s, elapsed_s: _e, ...scalars } = rec;
  return scalars as Record<string, number>;
}

/**
 * Trains (or resumes) one run; see the file header. The run folder is locked for the whole session
 * (src/data/folder-lock.ts). A new run that fails before its first checkpoint removes what it wrote
 * (and the folder when it created it), so the same `--out` can be used again.
 */
export async function train(opts: TrainOptions, deps: TrainDeps): Promise<TrainSummary> {
  const { model: cfg, training: tc, runDir } = opts;
  checkData(opts.data, cfg.contextLength);
  const data = runData(opts.data, cfg.contextLength, tc);
  const created = !existsSync(runDir);
  const lock = lockFolder(runDir, opts.resume ? "train --resume" : "train");
  const session: Session = { wroteConfig: false, lastCheckpoint: null };
  let failed = true;
  try {
    if (opts.resume) checkResume(opts, data);
    else {
      refuseExistingRun(runDir);
      clearAbandonedStart(runDir);
    }
    const s = await trainLocked(opts, deps, data, session);
    failed = false;
    return s;
  } catch (e) {
    throw envError(e, runDir) ?? e;
  } finally {
    lock.release();
    if (failed && !opts.resume && session.wroteConfig && session.lastCheckpoint === null) discardNewRun(runDir, created);
  }
}

interface Session {
  wroteConfig: boolean;
  lastCheckpoint: number | null;
}

async function trainLocked(opts: TrainOptions, deps: TrainDeps, data: RunData, session: Session): Promise<TrainSummary> {
  const { model: cfg, training: tc, runDir } = opts;
  const now = deps.now ?? (() => performance.now());
  const T = cfg.contextLength;
  const schedule: LrSchedule = parseLrSchedule({ maxLr: tc.lr, minLr: tc.minLr, warmupSteps: tc.warmup, decaySteps: tc.steps });
  const ckpt = opts.resume ? loadRunCheckpoint(runDir, cfg) : null;
  session.lastCheckpoint = ckpt?.step ?? null;
  const guard: GuardContext = { runDir, lastCheckpoint: session.lastCheckpoint, lr: tc.lr };
  const randomized = "randomized" in cfg.pe ? cfg.pe.randomized : null;
  const source = openTrainSource(opts.data, T, tc, ckpt?.meta.sampler ?? null);
  const state = initialState(opts, ckpt, randomized, source.stream);
  const t0 = now();
  const elapsed = (): number => state.elapsedBefore + (now() - t0) / 1000;
  const summary = (tokens: number): TrainSummary => ({
    runDir, steps: state.step, finalTrainLoss: state.lastTrainLoss ?? NaN, finalValidLoss: state.lastValidLoss ?? NaN,
    wallSeconds: elapsed(), tokensPerSecond: tokens / Math.max(1e-9, (now() - t0) / 1000),
  });
  if (state.step >= tc.steps) return summary(0);

  const model = await deps.createModel(cfg, { seed: runSeeds(tc).init, ...(ckpt ? { params: ckpt.params } : {}), ...(tc.threads !== null ? { threads: tc.threads } : {}) });
  let metrics: MetricsWriter | undefined, tb: TensorBoardWriter | undefined;
  try {
    if (ckpt) model.loadOptimizerState(ckpt.optimizer);
    if (opts.resume) truncateMetrics(join(runDir, RUN_FILES.metrics), state.step);
    else {
      session.wroteConfig = true;
      writeRunConfig(runDir, { model: cfg, training: tc, data, created: new Date().toISOString() });
    }
    metrics = new MetricsWriter(join(runDir, RUN_FILES.metrics));
    tb = new TensorBoardWriter(runDir);
    const bar = opts.progress === false ? null : new ProgressBar({ total: tc.steps, ...(opts.label ? { label: opts.label } : {}), ...(opts.progress ? { stream: opts.progress } : {}) });
    const B = tc.batch;
    const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
    const positions = randomized ? new Int32Array(B * T) : undefined;
    const batch: TokenBatch = { B, T, inputs, targets, ...(positions ? { positions } : {}) };
    const tokensPerStep = B * T * tc.gradAccum;
    let sessionTokens = 0, lastLog = { t: now(), step: state.step };
    if (bar && ckpt) bar.log(`resuming ${runDir} at step ${state.step}`);

    while (state.step < tc.steps) {
      const r = optimizerStepOnce(model, state, tc, schedule, batch, randomized, guard);
      sessionTokens += tokensPerStep;
      const last = state.step === tc.steps;
      let validLoss: number | undefined;
      if (r.skipped !== undefined) {
        bar?.log(`step ${state.step} skipped: ${r.skipped} (${state.skipped} of ${tc.skipNonfinite} allowed by --skip-nonfinite)`);
      }
      if (state.step % tc.evalEvery === 0 || last) {
        validLoss = source.validationLoss(model, B);
        state.lastValidLoss = validLoss;
        bar?.log(`step ${state.step}: valid loss ${validLoss.toFixed(4)} (ppl ${Math.exp(validLoss).toFixed(2)})`);
      }
      const t = now();
      const rate = ((state.step - lastLog.step) * tokensPerStep) / Math.max(1e-9, (t - lastLog.t) / 1000);
      if (r.skipped === undefined) {
        const { loss, lr, gradNorm } = r;
        if (state.step % tc.logEvery === 0 || validLoss !== undefined || last) {
          const rec: MetricRecord = { step: state.step, "train/loss": loss, "train/ppl": Math.exp(loss), lr, grad_norm: gradNorm, tokens_per_s: rate, elapsed_s: elapsed() };
          if (validLoss !== undefined) Object.assign(rec, { "valid/loss": validLoss, "valid/ppl": Math.exp(validLoss) });
          metrics.append(rec);
          tb.scalars(state.step, tensorBoardScalars(rec));
          lastLog = { t, step: state.step };
        }
        bar?.update({ step: state.step, loss, tokensPerSec: rate });
        const eta = bar ? bar.etaSeconds(state.step) : NaN;
        opts.onProgress?.({ step: state.step, totalSteps: tc.steps, loss, lr, gradNorm, tokensPerSecond: rate, ...(validLoss !== undefined ? { validLoss } : {}), etaSeconds: eta });
      }
      const interrupted = opts.signal?.aborted === true;
      if (state.step % tc.checkpointEvery === 0 || last || interrupted) {
        if (validLoss !== undefined && !Number.isFinite(validLoss)) throw divergence(state.step, `the validation loss is ${validLoss}`, guard);
        checkParams(model.parameters(), state.step, guard); // never save a non-finite or exploded state
        metrics.flush();
        tb.flush();
        saveRunCheckpoint(runDir, cfg, snapshot(model, state, elapsed()));
        session.lastCheckpoint = guard.lastCheckpoint = state.step;
      }
      if (interrupted && !last) {
        bar?.finish();
        throw new TrainingInterrupted(runDir, state.step);
      }
      await new Promise<void>((r) => setImmediate(r)); // lets signal handlers run between steps
    }
    bar?.finish();
    return summary(sessionTokens);
  } finally {
    metrics?.close();
    tb?.close();
    await model.dispose();
  }
}
