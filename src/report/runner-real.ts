/**
 * The Runner that trains and evaluates for real, by adapting `trainRun` (src/train/index.ts) and
 * `evaluateRun` (src/eval/index.ts). The adapter (`makeRealRunner`) takes them as arguments, so it
 * builds and is tested before they exist; `realRunner` below wires the real ones.
 *
 * TO ENABLE (the lead, when the train/eval branches are merged) — change exactly these lines:
 *   1. uncomment the two imports marked `ENABLE`;
 *   2. in `realRunner`, replace the `throw` with the `return makeRealRunner(...)` line marked `ENABLE`.
 * If `trainRun`/`evaluateRun` name their options differently from `RealTrainOptions` / `RealEvalOptions`
 * below, adjust those two interfaces and the two mapping functions (`toTrainOptions`, `toEvalOptions`).
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "../train/run-dir.js";
import { loadCorpus, type CorpusSpec, type LoadedCorpus } from "../data/corpus.js";
import { ExtraposError } from "../pe/errors.js";
import { readMetrics } from "../train/log/metrics.js";
import type { TrainSummary } from "../train/trainer.js";
import type { EvalOutcome, EvalRequest, Runner, TrainingCurve, TrainOutcome, TrainRequest } from "./runner.js";
import { trainRun } from "../train/index.js";
import { evaluateRun } from "../eval/index.js";

/** The subset of `trainRun`'s options (src/train/run.ts `TrainRunOptions`) the bench uses. */
export interface RealTrainOptions {
  out: string;
  /** Model config, file form (snake_case); its `context_length` is the training length L. */
  model: Record<string, unknown>;
  /** Training config, file form (snake_case: steps, batch, lr, seed, threads, …). */
  training: Record<string, unknown>;
  corpus: LoadedCorpus;
  /** Where `corpus` was loaded from (recorded in the run, so `extrapos eval --run` finds the data). */
  data: CorpusSpec;
  /** Continue the run in `out` from its last checkpoint. */
  resume?: boolean;
  /** The bench draws its own progress line; the trainer's is switched off. */
  progress: false;
  onProgress: (p: { step: number; loss: number; tokensPerSecond: number }) => void;
}

/** `trainRun`'s result. */
export type RealTrainSummary = TrainSummary;

/** The subset of `evaluateRun`'s options (src/eval/run.ts `EvaluateRunOptions`) the bench uses. */
export interface RealEvalOptions {
  lengths: number[];
  ropeScaling?: Record<string, unknown>;
  /** Mixed-passkey trials per length (src/eval/passkey-mix.ts). */
  passkeyMix: number;
  passkeySeed: number;
  /** Cap on scored tokens per length. */
  maxTokens: number;
  /** Entries per loss-per-position curve: the longest length, so every position has its own entry. */
  positionBuckets: number;
  threads: number;
  corpus: LoadedCorpus;
  split: "test";
  /** Each window's mean loss (for intervals and paired comparisons). */
  windowLosses: true;
  /** Every window and passkey trial read through this cache (the bench's transformer-xl-mem: segments of L, memory L). */
  cache?: EvalRequest["cache"];
}

/** `evaluateRun`'s result (EvalResult). `loss_per_position`: one curve per length, or one curve. */
export interface RealEvalResult {
  lengths: number[];
  loss: number[];
  ppl: number[];
  tokens: number[];
  loss_per_position?: number[] | number[][];
  passkey_mix_acc?: (number | null)[];
  passkey_mix_token_acc?: (number | null)[];
  passkey_mix_trial_acc?: (number[] | null)[];
  /** Positions averaged per entry of loss_per_position, per length (1 = one entry per position). */
  position_bucket_size?: number[];
  window_loss?: number[][];
  positions?: "random" | "plain";
}

export type TrainRunFn = (opts: RealTrainOptions) => Promise<RealTrainSummary>;
export type EvaluateRunFn = (runDir: string, opts: RealEvalOptions) => Promise<RealEvalResult>;

function numberOf(p: Record<string, unknown>, ...keys: string[]): number {
  for (const k of keys) if (typeof p[k] === "number") return p[k] as number;
  return NaN;
}

/** Loss curves from a run's metrics.jsonl (keys `train_loss`/`valid_loss`, or TensorBoard-style `train/loss`/`valid/loss`). */
export function readTrainingCurve(runDir: string): TrainingCurve {
  const curve: TrainingCurve = { step: [], trainLoss: [], validLoss: [] };
  for (const r of readMetrics(join(runDir, "metrics.jsonl"))) {
    if (!["train_loss", "train/loss", "valid_loss", "valid/loss"].some((k) => typeof r[k] === "number")) continue; // e.g. an lr-only record
    const train = numberOf(r, "train_loss", "train/loss"), valid = numberOf(r, "valid_loss", "valid/loss");
    curve.step.push(r.step);
    curve.trainLoss.push(train);
    curve.validLoss.push(valid);
  }
  return curve;
}

/**
 * `trainRun`'s options for a request. A resume keeps the run's own thread count (recorded in its config), whatever
 * the threads of the session that continues it; the numbers would be the same with 1 or 2 (src/cli/bench-jobs.test.ts).
 */
export function toTrainOptions(req: TrainRequest, corpus: LoadedCorpus, data: CorpusSpec = { kind: "brown" }): RealTrainOptions {
  const training: Record<string, unknown> = { steps: req.steps, batch: req.batch, lr: req.lr, seed: req.seed };
  if (!req.resume) training.threads = req.threads;
  if (req.checkpointEvery !== undefined) training.checkpoint_every = req.checkpointEvery;
  return {
    data,
    out: req.runDir,
    ...(req.resume ? { resume: true } : {}),
    model: { ...req.modelJson, context_length: req.seqLen },
    training,
    corpus,
    progress: false,
    onProgress: (p) => req.onProgress({ step: p.step, loss: p.loss, tokensPerSecond: p.tokensPerSecond }),
  };
}

/** Folder of the passkey fine-tuning inside a bench run (`TrainRequest.passkeySteps`). */
export const PASSKEY_RUN = "passkey";

/**
 * `trainRun`'s options for the passkey fine-tuning of a request (null without one): into `runDir/passkey/`,
 * initialised from the trained language model, every row a passkey row, batch `passkeyBatch` (default the
 * request's), the request's seed, peak lr `passkeyLr` (the trainer's warmup and cosine to a tenth; a fresh
 * optimizer), the distance curriculum `passkeyCurriculum` when set.
 * An unfinished fine-tuning (a checkpoint on disk) is resumed; a folder without one is started again.
 */
export function toPasskeyTrainOptions(req: TrainRequest, corpus: LoadedCorpus, data: CorpusSpec = { kind: "brown" }): RealTrainOptions | null {
  if (!req.passkeySteps) return null;
  const out = join(req.runDir, PASSKEY_RUN);
  const resume = existsSync(join(out, RUN_FILES.state)) && existsSync(join(out, RUN_FILES.config));
  if (!resume && existsSync(out)) rmSync(out, { recursive: true, force: true });
  const training: Record<string, unknown> = { steps: req.passkeySteps, batch: req.passkeyBatch ?? req.batch, lr: req.passkeyLr ?? req.lr, seed: req.seed, passkey_mix: 1, init_from: req.runDir };
  if (req.passkeyCurriculum) training.passkey_curriculum = req.passkeyCurriculum;
  if (!resume) training.threads = req.threads;
  return {
    data, out, ...(resume ? { resume: true } : {}), model: { ...req.modelJson, context_length: req.seqLen }, training, corpus, progress: false,
    // counted on from the language model's steps: one progress bar over both trainings
    onProgress: (p) => req.onProgress({ step: req.steps + p.step, loss: p.loss, tokensPerSecond: p.tokensPerSecond }),
  };
}

/** Options of the passkey evaluation on the fine-tuned copy: the same lengths, scaling and cache, one perplexity window per length (unused). */
export function toPasskeyEvalOptions(req: EvalRequest, corpus: LoadedCorpus): RealEvalOptions {
  return { ...toEvalOptions(req, corpus), passkeyMix: req.passkeyTrials, maxTokens: 1, positionBuckets: 1, windowLosses: true };
}

export function toEvalOptions(req: EvalRequest, corpus: LoadedCorpus): RealEvalOptions {
  return {
    lengths: req.lengths, ...(req.ropeScaling ? { ropeScaling: req.ropeScaling } : {}), passkeyMix: 0, passkeySeed: req.seed,
    maxTokens: req.maxTokensPerLength, positionBuckets: Math.max(...req.lengths), threads: req.threads, corpus, split: "test",
    windowLosses: true, ...(req.cache ? { cache: req.cache } : {}),
  };
}

/**
 * The requested loss-per-position curve out of an EvalResult (per-length curves or a single one), one
 * entry per position: a bucketed curve (`position_bucket_size` s > 1) is expanded, each bucket's mean
 * standing for its s positions, so the figure's x axis is always the position.
 */
export function pickLossPerPosition(r: RealEvalResult, length: number | null): EvalOutcome["lossPerPosition"] {
  const lpp = r.loss_per_position;
  if (length === null || !lpp || lpp.length === 0) return null;
  if (Array.isArray(lpp[0])) {
    const i = r.lengths.indexOf(length);
    const curve = (lpp as number[][])[i];
    if (!curve) return null;
    const s = r.position_bucket_size?.[i] ?? 1;
    const loss = s === 1 ? curve : Array.from({ length }, (_, p) => curve[Math.floor(p / s)]!);
    return { length, loss };
  }
  return lpp.length === length ? { length, loss: lpp as number[] } : null;
}

/**
 * A Runner over the given `trainRun` / `evaluateRun`; the corpus (`data`: a --data path, or null for
 * Brown) is loaded once, at the first call.
 * Example: `makeRealRunner(trainRun, evaluateRun, null)`.
 */
export function makeRealRunner(trainRun: TrainRunFn, evaluateRun: EvaluateRunFn, data: string | null, load: typeof loadCorpus = loadCorpus): Runner {
  let corpus: LoadedCorpus | undefined;
  const spec: CorpusSpec = data === null ? { kind: "brown" } : { kind: "text", data };
  const getCorpus = () => (corpus ??= load(spec));
  return {
    async train(req: TrainRequest): Promise<TrainOutcome> {
      const s = await trainRun(toTrainOptions(req, getCorpus(), spec));
      const pk = toPasskeyTrainOptions(req, getCorpus(), spec);
      if (pk) await trainRun(pk);
      return { steps: s.steps, finalTrainLoss: s.finalTrainLoss, finalValidLoss: s.finalValidLoss, wallSeconds: s.wallSeconds, tokensPerSecond: s.tokensPerSecond, curve: readTrainingCurve(s.runDir) };
    },
    async evaluate(req: EvalRequest): Promise<EvalOutcome> {
      const t0 = performance.now();
      const r = await evaluateRun(req.runDir, toEvalOptions(req, getCorpus()));
      // the passkey on the fine-tuned copy, when the run has one (absent: benches without passkey fine-tuning)
      const pkDir = join(req.runDir, PASSKEY_RUN);
      if (req.passkeyTrials > 0 && existsSync(join(pkDir, RUN_FILES.model))) {
        const pk = await evaluateRun(pkDir, toPasskeyEvalOptions(req, getCorpus()));
        Object.assign(r, { passkey_mix_acc: pk.passkey_mix_acc, passkey_mix_token_acc: pk.passkey_mix_token_acc, passkey_mix_trial_acc: pk.passkey_mix_trial_acc });
      }
      return {
        lengths: r.lengths, loss: r.loss, ppl: r.ppl, tokens: r.tokens, passkeyAcc: r.lengths.map((_, i) => r.passkey_mix_acc?.[i] ?? null),
        lossPerPosition: pickLossPerPosition(r, req.lossPerPositionLength), wallSeconds: (performance.now() - t0) / 1000,
        ...(r.window_loss ? { windowLoss: r.window_loss } : {}), ...(r.passkey_mix_token_acc ? { passkeyTokenAcc: r.lengths.map((_, i) => r.passkey_mix_token_acc?.[i] ?? null) } : {}),
        ...(r.passkey_mix_trial_acc ? { passkeyTrialAcc: r.lengths.map((_, i) => r.passkey_mix_trial_acc?.[i] ?? null) } : {}), ...(r.positions ? { positions: r.positions } : {}),
      };
    },
  };
}

/** The Runner `extrapos bench` uses. */
export function realRunner(data: string | null): Runner {
  return makeRealRunner(trainRun, evaluateRun, data);
}
