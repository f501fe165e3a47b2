/**
 * Accuracy vs context length on the synthetic tasks (copy, reverse, associative-recall, passkey; as in
 * the Position Interpolation and YaRN papers' passkey curves), and the answer loss.
 *
 * For each length L: `trials` examples of input length L (`taskExamples`: from `Rng(seed)`, the same
 * set on every machine; passkey: `passkeyTrials`, keys at depths evenly spread over [0, 1]).
 * - `accuracy` = fraction of examples whose every answer token is the model's argmax under teacher
 *   forcing (`scoreExactMatch`; the same verdict as greedy decoding of the answer, see
 *   src/data/tasks/example.ts);
 * - `token_accuracy` = fraction of answer tokens predicted right (pooled over the examples) — the
 *   per-token accuracy Ruoss et al. and Delétang et al. report, which shows partial generalization that
 *   exact match hides;
 * - `accuracy_ci95`, `token_accuracy_ci95`: 95 % percentile-bootstrap intervals over the examples
 *   (src/eval/stats.ts; token accuracy resampled as each example's fraction of right tokens, equal weights);
 * - `loss` = mean NLL (nats) over all answer tokens of the `trials` examples (pooled: summed in
 *   float64 over examples and answer positions, divided by their count).
 * Randomized-position models (`randomPositions`): each model call draws fresh sorted random positions
 * (seed mixed from the seed, L and the call), the reference protocol; `positions` records which.
 *
 * How predictions are made: with one forward pass over B examples (`model.predict`, the argmax at
 * every position under teacher forcing) when the model offers it; otherwise through the KV-cache
 * decoder, per example: the input up to and including the token before the answer is fed at once,
 * the argmax of the returned logits predicts the first answer token, then each true answer token is
 * fed in turn and the argmax recorded. The two give the same predictions (causal attention), except
 * that length-dependent RoPE scaling (dynamic NTK) sees the whole example's length in the first. With a
 * `cache` (`scoreExamples`' option; e.g. Transformer-XL's segments with memory) always the decoder, reading
 * each example through that cache, as the perplexity of the same evaluation is read.
 * Examples go to the model B = max(1, ⌊batchTokens / L⌋) at a time.
 *
 * Example:
 *   const r = evaluateTask(model, byteTokenizer, "copy", { lengths: [32, 64], trials: 100 });
 *   r.accuracy // e.g. [1, 0.02]
 */
import { ExtraposError, invalid, show } from "../pe/errors.js";
import type { EvalOptions, RollingCache, TokenBatch, TrainableModel } from "../model/lm.js";
import { checkTaskSeqLen, getTask, IGNORE_INDEX, scoreExactMatch, taskExamples, type TaskExample, type TaskName } from "../data/tasks/index.js";
import type { Tokenizer } from "../data/tokenizer.js";
import { answerNll, exampleBatch } from "../train/source.js";
import { drawSeed } from "./evaluate.js";
import { bootstrapMeanCI } from "./stats.js";

export interface TaskEvalOptions {
  /** Input lengths L, e.g. [32, 64, 128]; each ≥ the task's minimum length. */
  lengths: number[];
  /** Examples per length, e.g. 100. */
  trials: number;
  /** Seed of the examples (default 1234). */
  seed?: number;
  /** Tokens per model call (B = max(1, ⌊batchTokens / L⌋)); default 4096. */
  batchTokens?: number;
  /** Passed to the model (RoPE scaling at evaluation). */
  ropeScaling?: Record<string, unknown>;
  /** Randomized-position models: fresh random positions per call from this seed (reference protocol). */
  randomPositions?: { seed: number };
  /** Also return each example's scores (`example_exact`, `example_token_accuracy`), e.g. to pool lengths into bands. */
  examples?: boolean;
}

export const DEFAULT_TASK_EVAL = { trials: 100, seed: 1234, batchTokens: 4096 } as const;

/** What `extrapos eval --task NAME --json` prints. */
export interface TaskEvalResult {
  task: TaskName;
  lengths: number[];
  /** Exact-match accuracy per length, in [0, 1]. */
  accuracy: number[];
  /** Per-token accuracy over the answer tokens per length, in [0, 1]. */
  token_accuracy: number[];
  /** 95 % bootstrap intervals over the examples. */
  accuracy_ci95: Array<[number, number]>;
  token_accuracy_ci95: Array<[number, number]>;
  /** "random" (randomized-position model, reference protocol) or "plain". */
  positions: "random" | "plain";
  /** With `examples`: per length, each example's exact match (1/0) and fraction of answer tokens right. */
  example_exact?: number[][];
  example_token_accuracy?: number[][];
  /** Mean NLL (nats) over the answer tokens per length. */
  loss: number[];
  /** Examples per length. */
  trials: number;
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** Teacher-forced argmax predictions at the answer positions of every row of `batch` (−1 elsewhere), [B·T]. */
export function predictAnswers(model: TrainableModel, batch: TokenBatch, evalOpts: EvalOptions = {}, cache?: RollingCache): Int32Array {
  const { B, T } = batch;
  const predicted = new Int32Array(B * T).fill(IGNORE_INDEX);
  const all = model.predict && cache === undefined ? model.predict(batch, evalOpts) : null;
  for (let b = 0; b < B; b++) {
    const target = batch.targets.subarray(b * T, (b + 1) * T);
    const first = target.findIndex((t) => t !== IGNORE_INDEX);
    if (first < 0) continue;
    if (all) {
      for (let t = first; t < T; t++) if (target[t] !== IGNORE_INDEX) predicted[b * T + t] = all[b * T + t]!;
      continue;
    }
    const input = batch.inputs.subarray(b * T, (b + 1) * T);
    const decoder = model.startDecoding(cache === undefined ? evalOpts : { ...evalOpts, cache });
    predicted[b * T + first] = argmax(decoder.feed(input.subarray(0, first + 1)));
    for (let t = first + 1; t < T; t++) {
      const logits = decoder.feed(input.subarray(t, t + 1));
      if (target[t] !== IGNORE_INDEX) predicted[b * T + t] = argmax(logits);
    }
  }
  return predicted;
}

/** Teacher-forced argmax predictions at the answer positions of `ex` (−1 elsewhere). */
export function predictAnswer(model: TrainableModel, ex: TaskExample, evalOpts: EvalOptions = {}): Int32Array {
  return predictAnswers(model, exampleBatch([ex]), evalOpts);
}

/**
 * Exact-match accuracy of `examples` (all of one length) and, with `loss: true`, the mean NLL over
 * their answer tokens; `rows` examples per model call; with `cache`, predictions read through it (see the header).
 *
 * Example: `scoreExamples(model, taskExamples("copy", tok, 32, 10, 1), { rows: 10, loss: true })`
 */
export function scoreExamples(model: TrainableModel, examples: readonly TaskExample[], opts: { rows: number; loss: boolean; evalOpts?: EvalOptions; cache?: RollingCache }): ExampleScores {
  if (opts.cache !== undefined && opts.loss) throw invalid("the answer loss is not computed through a cache; score with loss false");
  if (examples.length === 0) throw invalid("need at least one example to score");
  const base = opts.evalOpts ?? {};
  let solved = 0, sum = 0, count = 0, right = 0, answerTokens = 0;
  const exact: number[] = [], perToken: number[] = [];
  for (let i = 0; i < examples.length; i += opts.rows) {
    const rows = examples.slice(i, i + opts.rows);
    const batch = exampleBatch(rows);
    const evalOpts = base.randomPositions ? { ...base, randomPositions: { seed: drawSeed(base.randomPositions.seed, batch.T, i, 0) } } : base;
    const predicted = predictAnswers(model, batch, evalOpts, opts.cache);
    rows.forEach((ex, r) => {
      const p = predicted.subarray(r * batch.T, (r + 1) * batch.T);
      const ok = scoreExactMatch(ex, p);
      if (ok) solved++;
      exact.push(ok ? 1 : 0);
      let k = 0, n = 0;
      for (let t = 0; t < batch.T; t++) if (ex.target[t] !== IGNORE_INDEX) { n++; if (p[t] === ex.target[t]) k++; }
      right += k;
      answerTokens += n;
      perToken.push(n > 0 ? k / n : 0);
    });
    if (opts.loss) {
      const nll = answerNll(model.nll(batch, evalOpts), batch);
      if (!Number.isFinite(nll.sum)) throw new ExtraposError("non_finite", `the model's answer NLL is ${nll.sum} at length ${batch.T}`);
      sum += nll.sum;
      count += nll.count;
    }
  }
  return { accuracy: solved / examples.length, tokenAccuracy: answerTokens > 0 ? right / answerTokens : 0, loss: opts.loss ? sum / count : null, exact, perToken };
}

/** What `scoreExamples` returns: pooled accuracies, the answer loss, and per-example scores (for intervals). */
export interface ExampleScores {
  accuracy: number;
  tokenAccuracy: number;
  loss: number | null;
  /** 1 / 0 per example (exact match). */
  exact: number[];
  /** Fraction of each example's answer tokens predicted right. */
  perToken: number[];
}

function ci95(xs: number[], seed: number): [number, number] {
  const r = bootstrapMeanCI(xs, { seed });
  return [r.lo, r.hi];
}

/** Validates a task evaluation request (task name, lengths ≥ the task's minimum, trials, batchTokens) before any model work. */
export function checkTaskEval(task: string, tok: Tokenizer, opts: TaskEvalOptions): TaskName {
  getTask(task);
  const name = task as TaskName;
  if (opts.lengths.length === 0) throw invalid("--lengths must list at least one length");
  for (const L of opts.lengths) {
    if (!Number.isInteger(L) || L <= 0) throw invalid(`--lengths must be positive integers, got ${show(L)}`);
    checkTaskSeqLen(name, tok, L, "every length in --lengths");
  }
  if (!Number.isInteger(opts.trials) || opts.trials < 1) throw invalid(`--trials must be an integer ≥ 1 (examples per length), got ${show(opts.trials)}`);
  const bt = opts.batchTokens ?? DEFAULT_TASK_EVAL.batchTokens;
  if (!Number.isInteger(bt) || bt < 1) throw invalid(`--batch-tokens must be a positive integer, got ${show(bt)}`);
  return name;
}

/** Accuracy and answer loss of `model` on `task` at every length (see the file header). */
export function evaluateTask(model: TrainableModel, tok: Tokenizer, task: string, opts: TaskEvalOptions): TaskEvalResult {
  const name = checkTaskEval(task, tok, opts);
  const evalOpts: EvalOptions = { ...(opts.ropeScaling ? { ropeScaling: opts.ropeScaling } : {}), ...(opts.randomPositions ? { randomPositions: opts.randomPositions } : {}) };
  const result: TaskEvalResult = {
    task: name, lengths: [...opts.lengths], accuracy: [], token_accuracy: [], accuracy_ci95: [], token_accuracy_ci95: [], loss: [], trials: opts.trials,
    positions: opts.randomPositions ? "random" : "plain",
  };
  for (const L of opts.lengths) {
    const examples = taskExamples(name, tok, L, opts.trials, opts.seed ?? DEFAULT_TASK_EVAL.seed);
    const rows = Math.max(1, Math.floor((opts.batchTokens ?? DEFAULT_TASK_EVAL.batchTokens) / L));
    const r = scoreExamples(model, examples, { rows, loss: true, evalOpts });
    result.accuracy.push(r.accuracy);
    result.token_accuracy.push(r.tokenAccuracy);
    result.accuracy_ci95.push(ci95(r.exact, L));
    result.token_accuracy_ci95.push(ci95(r.perToken, L));
    result.loss.push(r.loss!);
    if (opts.examples) {
      (result.example_exact ??= []).push(r.exact);
      (result.example_token_accuracy ??= []).push(r.perToken);
    }
  }
  return result;
}
