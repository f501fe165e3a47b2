/**
 * Retrieval gain at length n: does the model use a copy of the text it is predicting that sits far back
 * in its window? A measure that separates small models where passkey exact match is 0 everywhere.
 *
 * For a window of n tokens and a segment length s (= min(16, ⌊n/4⌋)): real = S · F · S, control = S′ · F · S,
 * where S, S′ and F (n − 2s tokens) are cut from the evaluation text at trial-dependent places (F between
 * the two copies, so the copies are n − s tokens apart). The model's loss on the second S's tokens 2 … s
 * (the first is not predictable from the copy) is measured in both; gain = loss(control) − loss(real), in
 * nats per token, averaged over the trials (95 % bootstrap interval over the trials). A model that cannot
 * attend n − s tokens back (or whose attention breaks beyond its training length) scores ≈ 0; one that
 * copies from the first S (induction) scores > 0. At n = L the copies are within the training length, so
 * the measure shows retrieval at L and how it fades beyond.
 *
 * Example: `retrievalGain(model, tokens, 256, { trials: 8 })` → { gain, ci95 }
 */
import { ExtraposError, show } from "../pe/errors.js";
import type { EvalOptions, TrainableModel } from "../model/lm.js";
import { drawSeed } from "../model/draw-seed.js";
import { bootstrapMeanCI } from "./stats.js";

export interface RetrievalOptions {
  /** Trials (windows) per length. */
  trials: number;
  /** Randomized-position models: fresh random positions per call (the same for real and control). */
  randomPositions?: { seed: number };
  ropeScaling?: Record<string, unknown>;
}

/** Segment length for windows of n tokens. */
export function retrievalSegment(n: number): number {
  return Math.min(16, Math.floor(n / 4));
}

/** The real and control windows of trial i (inputs n, targets n with −1 outside the second copy's tokens 2 … s). */
export function retrievalWindows(tokens: Int32Array, n: number, trials: number, i: number): { real: Int32Array; control: Int32Array; targets: Int32Array } {
  const s = retrievalSegment(n), f = n - 2 * s;
  const span = tokens.length - (n + 1);
  if (s < 2 || span < 3 * trials) throw new ExtraposError("invalid_argument", `retrieval at length ${n} needs s ≥ 2 and a text of more than ${n + 1 + 3 * trials} tokens, got s = ${s} and ${tokens.length}`);
  // three well-separated places per trial: the segment, its control, the filler
  const at = (k: number) => Math.floor(((3 * i + k) * span) / (3 * trials));
  const S = tokens.subarray(at(0), at(0) + s + 1), S2 = tokens.subarray(at(1), at(1) + s), F = tokens.subarray(at(2), at(2) + f);
  // window = first · F · S, next-token targets: the model reads seq[0 … n−1] and predicts seq[1 … n]
  const build = (first: Int32Array) => { const seq = new Int32Array(n + 1); seq.set(first.subarray(0, s), 0); seq.set(F, s); seq.set(S, n - s); return seq; };
  const real = build(S), control = build(S2);
  const targets = new Int32Array(n).fill(-1);
  for (let p = n - s; p < n - 1; p++) targets[p] = real[p + 1]!; // predicts S[1 … s−1]: the second copy's tokens 2 … s
  return { real: real.subarray(0, n), control: control.subarray(0, n), targets };
}

/** Mean retrieval gain (nats per token) at length n and its 95 % interval over the trials; see the header. */
export function retrievalGain(model: TrainableModel, tokens: Int32Array, n: number, opts: RetrievalOptions): { gain: number; ci95: [number, number] } {
  if (!Number.isInteger(opts.trials) || opts.trials < 1) throw new ExtraposError("invalid_argument", `--retrieval must be an integer ≥ 1 (trials per length), got ${show(opts.trials)}`);
  const gains: number[] = [];
  for (let i = 0; i < opts.trials; i++) {
    const w = retrievalWindows(tokens, n, opts.trials, i);
    const evalOpts: EvalOptions = { ...(opts.ropeScaling ? { ropeScaling: opts.ropeScaling } : {}), ...(opts.randomPositions ? { randomPositions: { seed: drawSeed(opts.randomPositions.seed, n, i, 2) } } : {}) };
    // one call per row, with the same options: a randomized model sees the same positions in both
    const loss = (row: Int32Array) => {
      const nll = model.nll({ B: 1, T: n, inputs: row, targets: w.targets }, evalOpts);
      let sum = 0, count = 0;
      for (let p = 0; p < n; p++) if (w.targets[p]! >= 0) { sum += nll[p]!; count++; }
      return sum / count;
    };
    gains.push(loss(w.control) - loss(w.real));
  }
  const ci = bootstrapMeanCI(gains, { seed: n });
  return { gain: ci.mean, ci95: [ci.lo, ci.hi] };
}
