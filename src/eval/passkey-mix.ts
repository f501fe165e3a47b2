/**
 * Mixed-passkey retrieval per length (src/data/passkey-mix.ts): `trials` examples of length n, keys at
 * depths evenly spread over [0, 1], filler from held-out text; scored by teacher-forced argmax as the
 * tasks are (`scoreExamples`): exact match of the 5 key digits and per-digit accuracy (chance 0.1 for a
 * model that predicts some digit), each with a 95 % bootstrap interval over the trials. A model trained
 * with `training.passkey_mix` learns the format at L; the question is how far beyond L it still finds
 * the key — the passkey curves of the Position Interpolation and YaRN papers, at laptop scale.
 *
 * Lengths that leave no filler (n + 1 ≤ 21 template byte tokens) give null. Randomized-position models get
 * fresh sorted random positions per call (the reference protocol, as everywhere). With `cache` each trial is read
 * through it token by token after the prefix (the KV-cache decoder), e.g. in Transformer-XL's segments with memory.
 *
 * Example: `passkeyMixRetrieval(model, byteTokenizer, testTokens, 256, { trials: 8 })` → { accuracy: 0.75, tokenAccuracy: 0.9, … }
 */
import type { EvalOptions, RollingCache, TrainableModel } from "../model/lm.js";
import { passkeyMixExamples, passkeyMixFixedTokens } from "../data/passkey-mix.js";
import type { Tokenizer } from "../data/tokenizer.js";
import { bootstrapMeanCI } from "./stats.js";
import { DEFAULT_TASK_EVAL, scoreExamples } from "./task.js";

export interface PasskeyMixOptions {
  /** Trials per length (depths i/(trials−1)), e.g. 8. */
  trials: number;
  /** Seed of the keys (default 1234, the tasks' evaluation seed). */
  seed?: number;
  ropeScaling?: Record<string, unknown>;
  randomPositions?: { seed: number };
  /**
   * Read every trial through this cache, as the perplexity of the same evaluation (`extrapos eval --segment-len S
   * --mem-len M`, the bench's transformer-xl-mem: segments of L with a memory of L); absent: the whole row at once.
   */
  cache?: RollingCache;
}

export interface PasskeyMixResult {
  /** Exact match of all key digits, fraction of trials. */
  accuracy: number;
  /** Fraction of key digits predicted right (pooled). */
  tokenAccuracy: number;
  accuracyCi95: [number, number];
  tokenAccuracyCi95: [number, number];
  /** Each trial's fraction of key digits right, in trial order (depth 0 first). */
  trialTokenAccuracy: number[];
}

/** Retrieval scores at length n over held-out `text` (null below the template length); see the header. */
export function passkeyMixRetrieval(model: TrainableModel, tok: Tokenizer, text: Int32Array, n: number, opts: PasskeyMixOptions): PasskeyMixResult | null {
  if (n < passkeyMixFixedTokens(tok)) return null;
  const evalOpts: EvalOptions = { ...(opts.ropeScaling ? { ropeScaling: opts.ropeScaling } : {}), ...(opts.randomPositions ? { randomPositions: opts.randomPositions } : {}) };
  const examples = passkeyMixExamples(tok, text, n, opts.trials, opts.seed ?? DEFAULT_TASK_EVAL.seed);
  const r = scoreExamples(model, examples, { rows: Math.max(1, Math.floor(DEFAULT_TASK_EVAL.batchTokens / n)), loss: false, evalOpts, ...(opts.cache ? { cache: opts.cache } : {}) });
  const a = bootstrapMeanCI(r.exact, { seed: n }), t = bootstrapMeanCI(r.perToken, { seed: n });
  return { accuracy: r.accuracy, tokenAccuracy: r.tokenAccuracy, accuracyCi95: [a.lo, a.hi], tokenAccuracyCi95: [t.lo, t.hi], trialTokenAccuracy: r.perToken };
}
