/**
 * The training loop on any storage (Node and browsers): `trainLoop` runs the steps described in
 * trainer.ts and writes everything through a `RunSink` — the run directory in Node (trainer.ts
 * `train`), memory and messages in a page (`memoryRunSink`). Resuming is passing the last checkpoint
 * back in (`from`): every loss after it is bit-identical to the uninterrupted run's.
 *
 * Example (a page):
 *   const sink = memoryRunSink({ onMetric: (r) => plot(r) });
 *   await trainLoop({ model, training, data, from: null, progress: false }, { createModel }, sink);
 *   const files = runFolderFiles(sink);   // config.json, metrics.jsonl, model.safetensors, train_state.safetensors
 */
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { randomizedPositions } from "../pe/randomized.js";
import { segmentMemoryLength, type ModelConfig } from "../model/config.js";
import type { TokenBatch, TrainableModel } from "../model/lm.js";
import { runSeeds, type TrainingConfig } from "./config.js";
import type { MetricRecord } from "./log/metrics.js";
import { ProgressBar, type ProgressStream } from "./log/progress.js";
import type { ModelFactory } from "./model-factory.js";
import { learningRate, parseLrSchedule, type LrSchedule } from "./schedule.js";
import type { RunCheckpoint, RunConfig, TrainMeta } from "./run-format.js";
import { checkData, openTrainSource, runData, type BatchStream, type TrainData } from "./source.js";
import { checkLoss, checkParams, divergence, quantityOf, type GuardContext } from "./divergence.js";



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

export interface TrainDeps {
  createModel: ModelFactory;
  /** Clock in ms (default performance.now). */
  now?: () => number;
}

/** Thrown after a checkpoint when training was interrupted (Ctrl-C; a page's stop); resume with `--resume runDir`. */
export class TrainingInterrupted extends Error {
  constructor(readonly runDir: string, readonly step: number) {
    super(`training interrupted at step ${step}; checkpoint saved in ${runDir} (continue with --resume ${runDir})`);
    this.name = "TrainingInterrupted";
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

function snapshot(model: TrainableModel, s: LoopState, elapsed: number): RunCheckpoint {
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
  const memory = model.memoryState?.() ?? [];
  if (memory.length > 0) meta.memoryShapes = Object.fromEntries(memory.map((t) => [t.name, t.shape]));
  return { step: s.step, params: new Map(model.parameters().map((p) => [p.name, p.data])), optimizer: opt, meta, memory };
}

type Randomized = { maxLength: number } | null;

function initialState(training: TrainingConfig, ckpt: RunCheckpoint | null, randomized: Randomized, sampler: BatchStream): LoopState {
  const seeds = runSeeds(training);
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
  let lossSum = 0;
  try {
    for (let a = 0; a < tc.gradAccum; a++) {
      state.sampler.next(B, { x: batch.inputs, y: batch.targets });
      batch.continues = state.sampler.continues?.() ?? false;
      if (batch.positions && randomized) {
        for (let b = 0; b < B; b++) batch.positions.set(randomizedPositions(T, randomized.maxLength, state.positionsRng!), b * T);
      }
      lossSum += model.forwardBackward(batch, 1 / tc.gradAccum);
    }
    const loss = lossSum / tc.gradAccum;
    if (!Number.isFinite(loss)) throw new ExtraposError("non_finite", `the training loss is ${loss}`);
    checkLoss(loss, stepNo, guard);
    const gradNorm = model.optimizerStep(lr, tc.clip === 0 ? Infinity : tc.clip);
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

/** Where a run's files go: a directory (trainer.ts) or memory (`memoryRunSink`). */
export interface RunSink {
  /** Names the run in messages and in `TrainSummary.runDir` (a directory, or e.g. "the page"). */
  readonly where: string;
  /** Before the first step of a session: `resumeAt` null = a new run, else the step it continues from. */
  open(run: RunConfig, resumeAt: number | null): void;
  /** One logged step (metrics.jsonl record). */
  metric(rec: MetricRecord): void;
  /** A complete checkpoint; everything logged before it must be durable when this returns. */
  checkpoint(config: ModelConfig, ckpt: RunCheckpoint): void;
  /** Always called at the end of a session, also after an error. */
  close(): void;
}

export interface TrainLoopOptions {
  model: ModelConfig;
  training: TrainingConfig;
  data: TrainData;
  /** The checkpoint to continue from (a resume), or null for a new run. */
  from: RunCheckpoint | null;
  /** A new run's initial parameters (`training.init_from`, loaded by the caller), instead of a random init. */
  initParams?: Map<string, Float32Array>;
  /** A resume (true) also when `from` is null: a run killed before its first checkpoint restarts at 0. */
  resume?: boolean;
  onProgress?: (p: TrainProgress) => void;
  /** Aborting finishes the current step, checkpoints, and throws `TrainingInterrupted`. */
  signal?: AbortSignal;
  /** Progress bar stream (Node default stderr); false = no bar and no messages. */
  progress?: ProgressStream | false;
  /** Prefix of the progress line (e.g. a method name). */
  label?: string;
}

/** Lets other tasks (signal handlers, a page's messages) run between steps. */
function yieldToHost(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise<void>((r) => (g.setImmediate ? g.setImmediate(r) : setTimeout(r, 0)));
}

/** Trains (or resumes) one run, writing through `sink`; see the file header and trainer.ts. */
export async function trainLoop(opts: TrainLoopOptions, deps: TrainDeps, sink: RunSink): Promise<TrainSummary> {
  const { model: cfg, training: tc } = opts;
  const runDir = sink.where;
  const now = deps.now ?? (() => performance.now());
  const T = cfg.contextLength;
  const memLen = segmentMemoryLength(cfg);
  checkData(opts.data, T, memLen, tc.batch);
  const data = runData(opts.data, T, tc);
  const schedule: LrSchedule = parseLrSchedule({ maxLr: tc.lr, minLr: tc.minLr, warmupSteps: tc.warmup, decaySteps: tc.steps });
  const ckpt = opts.from;
  const randomized = "randomized" in cfg.pe ? cfg.pe.randomized : null;
  const source = openTrainSource(opts.data, T, tc, ckpt?.meta.sampler ?? null, memLen);
  const state = initialState(tc, ckpt, randomized, source.stream);
  const guard: GuardContext = { runDir, lastCheckpoint: ckpt?.step ?? null, lr: tc.lr };
  const t0 = now();
  const elapsed = (): number => state.elapsedBefore + (now() - t0) / 1000;
  const summary = (tokens: number): TrainSummary => ({
    runDir, steps: state.step, finalTrainLoss: state.lastTrainLoss ?? NaN, finalValidLoss: state.lastValidLoss ?? NaN,
    wallSeconds: elapsed(), tokensPerSecond: tokens / Math.max(1e-9, (now() - t0) / 1000),
  });
  if (state.step >= tc.steps) return summary(0);

  // a new run with `init_from` starts from that run's weights (fresh optimizer); a resume from its own checkpoint
  const init = ckpt ? ckpt.params : opts.initParams ?? null;
  const model = await deps.createModel(cfg, { seed: runSeeds(tc).init, ...(init ? { params: init } : {}), ...(tc.threads !== null ? { threads: tc.threads } : {}) });
  try {
    if (ckpt) model.loadOptimizerState(ckpt.optimizer);
    if (ckpt?.memory !== undefined && ckpt.memory.length > 0) {
      if (model.loadMemoryState === undefined) throw new ExtraposError("corrupt_file", `${runDir}: the train state holds a segment memory, but this model has none`);
      model.loadMemoryState(ckpt.memory);
    }
    sink.open({ model: cfg, training: tc, data, created: new Date().toISOString() }, opts.resume || ckpt ? state.step : null);
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
      if (r.skipped !== undefined) bar?.log(`step ${state.step} skipped: ${r.skipped} (${state.skipped} of ${tc.skipNonfinite} allowed by --skip-nonfinite)`);
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
          sink.metric(rec);
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
        sink.checkpoint(cfg, snapshot(model, state, elapsed()));
        guard.lastCheckpoint = state.step;
      }
      if (interrupted && !last) {
        bar?.finish();
        throw new TrainingInterrupted(runDir, state.step);
      }
      await yieldToHost();
    }
    bar?.finish();
    return summary(sessionTokens);
  } finally {
    sink.close();
    await model.dispose();
  }
}
