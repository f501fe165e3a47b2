/**
 * Passkey accuracy per length (Mohtashami & Jaggi 2023; the Position Interpolation and YaRN papers):
 * the data tasks' `passkeyTrials` (keys at depths evenly spread over [0, 1]) scored with the data
 * helper's `scoreExactMatch`, i.e. teacher-forced exact match of every answer token (" 12345").
 *
 * How predictions are made: with one forward pass over the whole example (`model.predict`, the argmax
 * at every position under teacher forcing) when the model offers it; otherwise through the KV-cache
 * decoder: the prompt up to and including the token before the answer is fed at once, the argmax of
 * the returned logits is the prediction of the first answer token, then each true answer token is fed
 * in turn and the argmax recorded. The two give the same predictions (causal attention), except that
 * length-dependent RoPE scaling (dynamic NTK) sees the whole example's length in the first. A trial is solved when every prediction
 * matches — the same verdict as greedy decoding of the answer (see src/data/tasks/example.ts).
 * Lengths shorter than the template (≈ 300 byte tokens) give `null`.
 *
 * Example: `passkeyAccuracy(model, byteTokenizer, 1024, { trials: 10, seed: 1 })` → 0.3
 */
import type { EvalOptions, TrainableModel } from "../model/lm.js";
import { IGNORE_INDEX, passkeyFixedTokens, passkeyTrials, scoreExactMatch, type TaskExample } from "../data/tasks/index.js";
import type { Tokenizer } from "../data/tokenizer.js";

export interface PasskeyOptions {
  /** Trials per length (depths i/(trials−1)), e.g. 10. */
  trials: number;
  /** Seed of the keys (default 1234). */
  seed?: number;
  ropeScaling?: Record<string, unknown>;
}

export const DEFAULT_PASSKEY_SEED = 1234;

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** Teacher-forced argmax predictions at the answer positions of `ex` (−1 elsewhere). */
export function predictAnswer(model: TrainableModel, ex: TaskExample, evalOpts: EvalOptions = {}): Int32Array {
  const L = ex.input.length;
  const first = ex.target.findIndex((t) => t !== IGNORE_INDEX);
  const predicted = new Int32Array(L).fill(-1);
  if (model.predict) {
    const all = model.predict({ B: 1, T: L, inputs: ex.input, targets: ex.target }, evalOpts);
    for (let t = first; t < L; t++) predicted[t] = all[t]!;
    return predicted;
  }
  const decoder = model.startDecoding(evalOpts);
  let logits = decoder.feed(ex.input.subarray(0, first + 1));
  predicted[first] = argmax(logits);
  for (let t = first + 1; t < L; t++) {
    logits = decoder.feed(ex.input.subarray(t, t + 1));
    predicted[t] = argmax(logits);
  }
  return predicted;
}

/** Fraction of passkey trials solved at input length L, or null when L is below the template length. */
export function passkeyAccuracy(model: TrainableModel, tok: Tokenizer, L: number, opts: PasskeyOptions): number | null {
  if (L < passkeyFixedTokens(tok) - 1) return null;
  const evalOpts: EvalOptions = opts.ropeScaling ? { ropeScaling: opts.ropeScaling } : {};
  const trials = passkeyTrials(tok, L, opts.trials, opts.seed ?? DEFAULT_PASSKEY_SEED);
  let solved = 0;
  for (const ex of trials) if (scoreExactMatch(ex, predictAnswer(model, ex, evalOpts))) solved++;
  return solved / trials.length;
}
