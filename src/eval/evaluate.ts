/**
 * Evaluation at any length: loss, perplexity and loss per position, from `TrainableModel.nll`.
 *
 * For each length L, windows over the tokens x_0 … x_{N−1} (src/data/batches.ts):
 * - non-overlapping (default, Press et al. 2022): starts 0, L, 2L, …; window w feeds x[wL : wL+L] and
 *   predicts x[wL+1 : wL+L+1]; a final incomplete window is dropped;
 * - sliding (`stride` S ≤ L): starts 0, S, 2S, …; the first window scores all L predictions, each
 *   later one its last S (every target scored once, with ≥ L−S tokens of context).
 * `loss` = mean NLL in nats over all scored tokens (summed in float64), `ppl` = exp(loss), `tokens` =
 * the number scored.
 * `loss_per_position[p]` = mean over the evaluated windows of the NLL at window position p (0 … L−1;
 * with sliding windows every position of every window counts, scored or not: the curve is about the
 * position in the window). For L > `positionBuckets` positions are averaged in buckets of
 * s = ⌈L / positionBuckets⌉ consecutive positions (bucket k = positions ks … min(L, (k+1)s) − 1,
 * each position weighted equally); `position_bucket_size[i]` gives s for lengths[i] (1 = exact).
 * `maxTokens` caps the scored tokens per length: K = ⌈maxTokens / S⌉ windows (S = stride or L) are
 * taken evenly spaced among all the windows (indices ⌊i·n/K⌋), so the sample spans the whole text.
 * Windows go to the model B at a time, B = max(1, ⌊batchTokens / L⌋). With `cache` (streaming, see
 * streaming.ts) each window is read token by token through a rolling KV cache instead.
 * `randomPositions` (models trained with randomized positions, Ruoss et al.): every model call is made
 * `draws` times, each with fresh sorted random positions (`EvalOptions.randomPositions`, seed mixed from
 * (seed, L, call, draw)), and each token's NLL is the mean over the draws — the reference protocol.
 * `window_loss[i]` = mean NLL of each window's scored tokens; `ppl_ci95[i]` = exp of the 95 % percentile
 * bootstrap interval of the mean window loss (windows resampled with replacement, equally weighted;
 * src/eval/stats.ts) — the evaluation-sampling uncertainty of the perplexity.
 *
 * Example:
 *   const r = evaluate(model, tokens, { lengths: [128, 256] });
 *   r.ppl[1] // perplexity with 256-token windows
 */
import { ExtraposError, invalid, show } from "../pe/errors.js";
import type { EvalOptions, RollingCache, TrainableModel } from "../model/lm.js";
import { streamingNll } from "./streaming.js";
import { nonOverlappingWindows, slidingWindows, type EvalWindow } from "../data/batches.js";
import { bootstrapMeanCI } from "./stats.js";
import { drawSeed } from "../model/draw-seed.js";

export { drawSeed };

export interface EvaluateOptions {
  /** Window lengths L, e.g. [128, 256, 512]. */
  lengths: number[];
  /** Sliding-window stride S (1 ≤ S ≤ every L); undefined = non-overlapping windows. */
  stride?: number;
  /** Cap on scored tokens per length (evenly spaced windows); undefined = every window. */
  maxTokens?: number;
  /** Tokens per model call (B = max(1, ⌊batchTokens / L⌋)); default 4096. */
  batchTokens?: number;
  /** Compute `loss_per_position` (default true). */
  lossPerPosition?: boolean;
  /** Maximum entries of each loss-per-position curve (default 1024). */
  positionBuckets?: number;
  /** Passed to the model (RoPE scaling at evaluation). */
  ropeScaling?: Record<string, unknown>;
  /** Reference protocol for randomized-position models: `draws` fresh position draws per window, averaged. */
  randomPositions?: { draws: number; seed: number };
  /** Return each window's mean loss (`window_loss`); default false. */
  windowLosses?: boolean;
  /** Streaming evaluation: every window read token by token through this rolling cache (streaming.ts). */
  cache?: RollingCache;
  onProgress?: (p: { length: number; windowsDone: number; windows: number }) => void;
}

export const DEFAULT_EVAL = { batchTokens: 4096, positionBuckets: 1024 } as const;

/** What `extrapos eval --json` prints (snake_case keys). */
export interface EvalResult {
  lengths: number[];
  loss: number[];
  ppl: number[];
  tokens: number[];
  loss_per_position?: number[][];
  /** Positions averaged per entry of loss_per_position, per length (1 = one entry per position). */
  position_bucket_size?: number[];
  /** 95 % bootstrap interval of the perplexity over the evaluation windows, per length. */
  ppl_ci95: Array<[number, number]>;
  /** "random" (randomized-position model, reference protocol) or "plain" (positions 0…n−1). */
  positions: "random" | "plain";
  /** Position draws averaged per window (1 with plain positions). */
  position_draws: number;
  /** Mean loss of each evaluated window, per length (with `windowLosses`). */
  window_loss?: number[][];
  /** Passkey accuracy per length (null where L is too short for the passkey template). */
  passkey_acc?: (number | null)[];
  /** Passkey retrieval gain (nats per answer token; src/eval/passkey.ts) per length, and its 95 % interval over the trials. */
  passkey_gain?: (number | null)[];
  passkey_gain_ci95?: ([number, number] | null)[];
  /** Mixed passkey (src/eval/passkey-mix.ts) per length: exact match, per-digit accuracy and its 95 % interval (null below the template). */
  passkey_mix_acc?: (number | null)[];
  passkey_mix_token_acc?: (number | null)[];
  passkey_mix_token_acc_ci95?: ([number, number] | null)[];
  /** Per length, each trial's fraction of key digits right (in trial order: the same trials for every model of a seed; for paired tests). */
  passkey_mix_trial_acc?: (number[] | null)[];
  /** Retrieval gain per length (nats per token; src/eval/retrieval.ts) and its 95 % interval over the trials. */
  retrieval_gain?: number[];
  retrieval_gain_ci95?: Array<[number, number]>;
}

/** Validates lengths and stride against the number of tokens (one clear error per problem). */
export function checkEvalLengths(lengths: readonly number[], nTokens: number, stride: number | undefined, what = "the evaluation text"): void {
  if (lengths.length === 0) throw invalid("--lengths must list at least one length");
  for (const L of lengths) {
    if (!Number.isInteger(L) || L <= 0) throw invalid(`--lengths must be positive integers, got ${show(L)}`);
    if (L + 1 > nTokens) throw invalid(`length ${L} needs at least ${L + 1} tokens, ${what} has ${nTokens}`, "use a longer text (--text) or shorter --lengths");
    if (stride !== undefined && (!Number.isInteger(stride) || stride < 1 || stride > L)) {
      throw invalid(`--stride must be an integer in [1, L] for every length, got ${show(stride)} with length ${L}`);
    }
  }
}

/** The windows evaluated at length L (all, or an evenly spaced subset under maxTokens). */
export function evalWindows(nTokens: number, L: number, stride: number | undefined, maxTokens: number | undefined): EvalWindow[] {
  const all = stride === undefined ? nonOverlappingWindows(nTokens, L) : slidingWindows(nTokens, L, stride);
  if (maxTokens === undefined) return all;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw invalid(`--max-tokens must be a positive integer, got ${show(maxTokens)}`);
  const k = Math.min(all.length, Math.ceil(maxTokens / (stride ?? L)));
  return Array.from({ length: k }, (_, i) => all[Math.floor((i * all.length) / k)]!);
}

/** Averages a per-position curve into buckets of s positions (the last bucket may be shorter). */
export function bucketCurve(curve: Float64Array, s: number): number[] {
  const out: number[] = [];
  for (let k = 0; k * s < curve.length; k++) {
    let sum = 0;
    const end = Math.min(curve.length, (k + 1) * s);
    for (let p = k * s; p < end; p++) sum += curve[p]!;
    out.push(sum / (end - k * s));
  }
  return out;
}

interface LengthResult {
  loss: number;
  tokens: number;
  curve: Float64Array;
  windowLoss: number[];
}

/** NLL of one batch: one call, or the mean over `draws` calls with random positions. */
function batchNll(model: TrainableModel, batch: { B: number; T: number; inputs: Int32Array; targets: Int32Array }, evalOpts: EvalOptions, rp: EvaluateOptions["randomPositions"], call: number): Float64Array {
  if (rp === undefined) return model.nll(batch, evalOpts);
  const out = new Float64Array(batch.B * batch.T);
  for (let d = 0; d < rp.draws; d++) {
    const nll = model.nll(batch, { ...evalOpts, randomPositions: { seed: drawSeed(rp.seed, batch.T, call, d) } });
    for (let i = 0; i < out.length; i++) out[i]! += nll[i]! / rp.draws;
  }
  return out;
}

function evaluateLength(model: TrainableModel, tokens: Int32Array, L: number, opts: EvaluateOptions, evalOpts: EvalOptions): LengthResult {
  const windows = evalWindows(tokens.length, L, opts.stride, opts.maxTokens);
  const B = Math.max(1, Math.floor((opts.batchTokens ?? DEFAULT_EVAL.batchTokens) / L));
  let sum = 0, count = 0;
  const curve = new Float64Array(L);
  const windowLoss: number[] = [];
  for (let i = 0; i < windows.length; i += B) {
    const rows = windows.slice(i, i + B);
    const inputs = new Int32Array(rows.length * L), targets = new Int32Array(rows.length * L);
    rows.forEach((w, r) => {
      inputs.set(tokens.subarray(w.start, w.start + L), r * L);
      targets.set(tokens.subarray(w.start + 1, w.start + L + 1), r * L);
    });
    const batch = { B: rows.length, T: L, inputs, targets };
    const nll = opts.cache ? streamingNll(model, batch, evalOpts, opts.cache) : batchNll(model, batch, evalOpts, opts.randomPositions, i / B);
    if (nll.length !== rows.length * L) throw new ExtraposError("internal", `model.nll returned ${nll.length} values for ${rows.length}×${L} targets`);
    rows.forEach((w, r) => {
      let wSum = 0;
      for (let p = 0; p < L; p++) {
        const v = nll[r * L + p]!;
        if (!Number.isFinite(v)) throw new ExtraposError("non_finite", `the model's NLL is ${v} at length ${L}, window start ${w.start}, position ${p}`);
        curve[p]! += v;
        if (p >= w.scoreFrom) {
          sum += v;
          wSum += v;
          count++;
        }
      }
      windowLoss.push(wSum / (L - w.scoreFrom));
    });
    opts.onProgress?.({ length: L, windowsDone: Math.min(windows.length, i + B), windows: windows.length });
  }
  for (let p = 0; p < L; p++) curve[p]! /= windows.length;
  return { loss: sum / count, tokens: count, curve, windowLoss };
}

/**
 * Evaluates `model` on `tokens` at every length in `opts.lengths` (see the file header).
 * Throws ExtraposError for a length ≤ 0, a length the text cannot fill, or a bad stride.
 */
export function evaluate(model: TrainableModel, tokens: Int32Array, opts: EvaluateOptions): EvalResult {
  checkEvalLengths(opts.lengths, tokens.length, opts.stride);
  if (opts.cache && opts.stride !== undefined) throw invalid("--streaming reads each window token by token from its start; it does not combine with --stride");
  const buckets = opts.positionBuckets ?? DEFAULT_EVAL.positionBuckets;
  if (!Number.isInteger(buckets) || buckets < 1) throw invalid(`--position-buckets must be a positive integer, got ${show(buckets)}`);
  const rp = opts.randomPositions;
  if (rp !== undefined && !(Number.isInteger(rp.draws) && rp.draws >= 1)) throw invalid(`--position-draws must be an integer ≥ 1, got ${show(rp.draws)}`);
  const evalOpts: EvalOptions = opts.ropeScaling ? { ropeScaling: opts.ropeScaling } : {};
  const result: EvalResult = {
    lengths: [...opts.lengths], loss: [], ppl: [], tokens: [], ppl_ci95: [], positions: rp ? "random" : "plain", position_draws: rp ? rp.draws : 1,
  };
  const perPosition: number[][] = [], bucketSize: number[] = [], windowLoss: number[][] = [];
  for (const L of opts.lengths) {
    const r = evaluateLength(model, tokens, L, opts, evalOpts);
    result.loss.push(r.loss);
    result.ppl.push(Math.exp(r.loss));
    result.tokens.push(r.tokens);
    const ci = bootstrapMeanCI(r.windowLoss, { seed: L });
    result.ppl_ci95.push([Math.exp(ci.lo), Math.exp(ci.hi)]);
    windowLoss.push(r.windowLoss);
    const s = Math.ceil(L / buckets);
    perPosition.push(s === 1 ? Array.from(r.curve) : bucketCurve(r.curve, s));
    bucketSize.push(s);
  }
  if (opts.lossPerPosition !== false) {
    result.loss_per_position = perPosition;
    result.position_bucket_size = bucketSize;
  }
  if (opts.windowLosses) result.window_loss = windowLoss;
  return result;
}
