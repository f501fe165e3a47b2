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
 * Retrieval gain (`passkeyRetrieval`): exact match is 0 for a model that has learned no retrieval, and so
 * cannot separate small models. The gain measures retrieval directly: for each trial, a control prompt
 * is the same prompt with the key in the information line replaced by another key of the same token
 * length (the question's answer stays the true key); gain = mean answer NLL of the control − mean answer
 * NLL of the true prompt (nats per answer token). A model that ignores the information line scores 0
 * (the two prompts differ only there); one that copies the key from it scores > 0, up to the whole
 * answer loss of the control. Reported per length with a 95 % bootstrap interval over the trials.
 *
 * Example: `passkeyAccuracy(model, byteTokenizer, 1024, { trials: 10, seed: 1 })` → 0.3
 */
import { ExtraposError } from "../pe/errors.js";
import type { EvalOptions, TrainableModel } from "../model/lm.js";
import { passkeyFixedTokens, passkeyTrials, type PasskeyExample } from "../data/tasks/index.js";
import { answerNll, exampleBatch } from "../train/source.js";
import { drawSeed } from "../model/draw-seed.js";
import { bootstrapMeanCI } from "./stats.js";
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

/** The control prompt of a trial: every " <key>" occurrence before the question replaced by a key that differs in every digit and has the same token length. */
export function passkeyControl(tok: Tokenizer, ex: PasskeyExample): PasskeyExample {
  const answer = ex.answer;
  let other: Int32Array | null = null;
  // a key differing from the true one in every digit (shift s: the first digit within 1…9, the others mod 10)
  const digits = String(ex.key).split("").map(Number);
  for (let s = 1; s <= 8 && other === null; s++) {
    const key = Number(digits.map((d, i) => (i === 0 ? ((d - 1 + s) % 9) + 1 : (d + s) % 10)).join(""));
    const ids = tok.encode(` ${key}`);
    if (ids.length === answer.length) other = Int32Array.from(ids);
  }
  if (other === null) throw new ExtraposError("internal", `no control key of ${answer.length} tokens for passkey ${ex.key}`);
  const input = Int32Array.from(ex.input);
  const end = input.length + 1 - answer.length; // the answer starts here; every earlier occurrence is in the information line
  let replaced = 0;
  for (let i = ex.keyPosition; i + answer.length <= end - 1; i++) {
    if (answer.every((v, j) => input[i + j] === v)) {
      input.set(other, i);
      replaced++;
    }
  }
  if (replaced === 0) throw new ExtraposError("internal", `passkey ${ex.key} not found in its prompt`);
  return { ...ex, input };
}

export interface PasskeyRetrieval {
  /** Exact-match accuracy (as passkeyAccuracy). */
  accuracy: number;
  /** Mean retrieval gain (nats per answer token) over the trials; see the header. */
  gain: number;
  gainCi95: [number, number];
}

function answerLosses(model: TrainableModel, examples: readonly PasskeyExample[], rows: number, evalOpts: EvalOptions): number[] {
  const out: number[] = [];
  for (let i = 0; i < examples.length; i += rows) {
    const batch = exampleBatch(examples.slice(i, i + rows));
    const opts = evalOpts.randomPositions ? { ...evalOpts, randomPositions: { seed: drawSeed(evalOpts.randomPositions.seed, batch.T, i, 1) } } : evalOpts;
    const nll = model.nll(batch, opts);
    for (let r = 0; r < batch.B; r++) {
      const row = { ...batch, B: 1, targets: batch.targets.subarray(r * batch.T, (r + 1) * batch.T) };
      const a = answerNll(nll.subarray(r * batch.T, (r + 1) * batch.T), row);
      out.push(a.sum / a.count);
    }
  }
  return out;
}

/** Accuracy and retrieval gain at input length L (null below the template length); see the header. */
export function passkeyRetrieval(model: TrainableModel, tok: Tokenizer, L: number, opts: PasskeyOptions): PasskeyRetrieval | null {
  if (L < passkeyFixedTokens(tok) - 1) return null;
  const evalOpts: EvalOptions = { ...(opts.ropeScaling ? { ropeScaling: opts.ropeScaling } : {}), ...(opts.randomPositions ? { randomPositions: opts.randomPositions } : {}) };
  const trials = passkeyTrials(tok, L, opts.trials, opts.seed ?? DEFAULT_PASSKEY_SEED);
  const rows = Math.max(1, Math.floor(DEFAULT_TASK_EVAL.batchTokens / L));
  const accuracy = scoreExamples(model, trials, { rows, loss: false, evalOpts }).accuracy;
  const real = answerLosses(model, trials, rows, evalOpts);
  const control = answerLosses(model, trials.map((t) => passkeyControl(tok, t)), rows, evalOpts);
  const gains = real.map((v, i) => control[i]! - v);
  const ci = bootstrapMeanCI(gains, { seed: L });
  return { accuracy, gain: ci.mean, gainCi95: [ci.lo, ci.hi] };
}
