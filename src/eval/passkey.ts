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
import { passkeyFixedTokens, passkeyTrials } from "../data/tasks/index.js";
import type { Tokenizer } from "../data/tokenizer.js";
import { DEFAULT_TASK_EVAL, scoreExamples } from "./task.js";

export { predictAnswer } from "./task.js";

export interface PasskeyOptions {
  /** Trials per length (depths i/(trials−1)), e.g. 10. */
  trials: number;
  /** Seed of the keys (default 1234). */
  seed?: number;
  ropeScaling?: Record<string, unknown>;
  /** Randomized-position models: fresh sorted random positions per call (seeded), the reference protocol. */
  randomPositions?: { seed: number };
}

export const DEFAULT_PASSKEY_SEED = 1234;

/** Fraction of passkey trials solved at input length L, or null when L is below the template length. */
export function passkeyAccuracy(model: TrainableModel, tok: Tokenizer, L: number, opts: PasskeyOptions): number | null {
  if (L < passkeyFixedTokens(tok) - 1) return null;
  const evalOpts: EvalOptions = { ...(opts.ropeScaling ? { ropeScaling: opts.ropeScaling } : {}), ...(opts.randomPositions ? { randomPositions: opts.randomPositions } : {}) };
  const trials = passkeyTrials(tok, L, opts.trials, opts.seed ?? DEFAULT_PASSKEY_SEED);
  return scoreExamples(model, trials, { rows: Math.max(1, Math.floor(DEFAULT_TASK_EVAL.batchTokens / L)), loss: false, evalOpts }).accuracy;
}
