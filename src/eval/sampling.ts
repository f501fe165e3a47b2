/**
 * Next-token sampling for generation: temperature, top-k, top-p (nucleus), in float64.
 *
 * Order of operations (as HF `generate` applies its logits warpers): divide logits by the
 * temperature, keep the top-k, keep the smallest set whose probability mass reaches top-p (always at
 * least one token), renormalise, draw with the seeded `Rng`. Temperature 0 means greedy (argmax;
 * ties → lowest id).
 *
 * Example: `sampleNextToken(logits, { temperature: 0.8, topK: 40, topP: 0.95 }, new Rng(1))`
 */
import { invalid } from "../pe/errors.js";
import type { Rng } from "../pe/random.js";

export interface SamplingOptions {
  /** Softmax temperature; 0 = greedy. Typical 0.8. */
  temperature: number;
  /** Keep only the k most likely tokens; 0 = off. Typical 40. */
  topK: number;
  /** Nucleus mass in (0, 1]; 1 = off. Typical 0.95. */
  topP: number;
}

export const DEFAULT_SAMPLING: SamplingOptions = { temperature: 0.8, topK: 0, topP: 1 };

/** How the fields are called where the options came from: the API's names by default, the CLI passes its flags. */
export interface SamplingFieldNames { temperature: string; topK: string; topP: string }
const API_NAMES: SamplingFieldNames = { temperature: "`temperature`", topK: "`topK`", topP: "`topP`" };

export function validateSampling(o: SamplingOptions, names: SamplingFieldNames = API_NAMES): SamplingOptions {
  if (!Number.isFinite(o.temperature) || o.temperature < 0) throw invalid(`${names.temperature} must be a finite number ≥ 0, got ${o.temperature}`, "0 = greedy; 0.8 is typical");
  if (!Number.isInteger(o.topK) || o.topK < 0) throw invalid(`${names.topK} must be an integer ≥ 0, got ${o.topK}`, "0 = off; 40 is typical");
  if (!Number.isFinite(o.topP) || o.topP <= 0 || o.topP > 1) throw invalid(`${names.topP} must be in (0, 1], got ${o.topP}`, "1 = off; 0.95 is typical");
  return o;
}

/** The probability of each token after temperature/top-k/top-p (zeros for removed tokens). */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): Float64Array {
  const n = logits.length;
  const p = new Float64Array(n);
  if (o.temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i]! > logits[best]!) best = i;
    p[best] = 1;
    return p;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const keep = o.topK > 0 ? Math.min(o.topK, n) : n;
  const max = logits[order[0]!]! / o.temperature;
  let sum = 0;
  for (let r = 0; r < keep; r++) {
    const i = order[r]!;
    p[i] = Math.exp(logits[i]! / o.temperature - max);
    sum += p[i]!;
  }
  for (let r = 0; r < keep; r++) p[order[r]!]! /= sum;
  if (o.topP < 1) {
    let mass = 0;
    let r = 0;
    for (; r < keep; r++) {
      mass += p[order[r]!]!;
      if (mass >= o.topP) { r++; break; }
    }
    let kept = 0;
    for (let q = 0; q < keep; q++) {
      if (q >= r) p[order[q]!] = 0;
      else kept += p[order[q]!]!;
    }
    for (let q = 0; q < r; q++) p[order[q]!]! /= kept;
  }
  return p;
}

export function sampleNextToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  const p = samplingDistribution(logits, o);
  const u = rng.float();
  let c = 0;
  let last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i]! > 0) {
      last = i;
      c += p[i]!;
      if (u < c) return i;
    }
  }
  return last;
}
