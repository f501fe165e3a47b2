/**
 * RoPE attention scores: q·k after rotation, and the "score vs relative distance" curve for plots.
 *
 * Formula: score(m, n) = ⟨R(m)·q, R(n)·k⟩ = ⟨R(m − n)·q, k⟩ (rotations compose), so it depends only
 *   on m − n. Curve: mean over vectors of ⟨R(Δ)·q, k⟩ for each distance Δ = m − n.
 * Paper: Su et al. 2021, "RoFormer" arXiv:2104.09864, §3.4.3 (long-term decay of the relative upper bound).
 * Reference: none for the curve (plot convention of PE papers); the rotation is apply.ts.
 * Models: any RoPE model.
 * Parameters: invFreq, layout ("half" | "interleaved"), attentionFactor (default 1), precision,
 *   vectors: {kind: "constant", value = 1} (q = k = value·1) or {kind: "random", seed, samples}
 *   (q ~ N(0, I) seeded, k = q: a token attending to an identical token Δ positions away).
 * Config keys: none.
 * Differences: none.
 */
import { invalid, show } from "../errors.js";
import { Rng } from "../random.js";
import { type RopePrecision } from "./inv-freq.js";
import { ropeCosSin, rotateFor, type RopeLayout } from "./apply.js";

export interface RopeScoreOptions {
  invFreq: ArrayLike<number>;
  layout: RopeLayout;
  /** Multiplies cos and sin (so the score by its square); default 1. */
  attentionFactor?: number;
  precision?: RopePrecision;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * q·k with q rotated at position m and k at position n.
 *
 * Example: `ropeScore([1, 0], [1, 0], 5, 3, { invFreq: [0.5], layout: "half" })` → cos(1).
 */
export function ropeScore(q: ArrayLike<number>, k: ArrayLike<number>, m: number, n: number, opts: RopeScoreOptions): number {
  if (q.length !== k.length) throw invalid(`q and k must have the same length, got ${q.length} and ${k.length}`);
  const t = ropeCosSin(opts.invFreq, [m, n], opts.attentionFactor ?? 1, opts.precision ?? "float64");
  const rotate = rotateFor(opts.layout);
  const w = t.width;
  const qr = rotate(q, t.cos.subarray(0, w), t.sin.subarray(0, w));
  const kr = rotate(k, t.cos.subarray(w, 2 * w), t.sin.subarray(w, 2 * w));
  return dot(qr, kr);
}

export type ScoreVectors = { kind: "constant"; value?: number } | { kind: "random"; seed: number; samples: number };

export interface RopeScoreCurveOptions extends RopeScoreOptions {
  /** Head dim (≥ rotary dim = 2·invFreq.length); extra channels are not rotated. */
  headDim: number;
  /** Relative distances Δ = m − n. */
  distances: ArrayLike<number>;
  vectors: ScoreVectors;
}

/**
 * Mean score ⟨R(m)q, R(n)k⟩ at each distance Δ = m − n (computed at n = 0, m = Δ).
 *
 * Example: `ropeScoreCurve({ invFreq: defaultInvFreq(10000, 64), headDim: 64, layout: "half",
 *   distances: [0, 1, 10, 100], vectors: { kind: "constant" } })` → [64, …] (Σ_i 2·cos(Δθ_i)).
 */
export function ropeScoreCurve(opts: RopeScoreCurveOptions): Float64Array {
  const { headDim, distances, vectors } = opts;
  if (!Number.isInteger(headDim) || headDim < 2 * opts.invFreq.length) {
    throw invalid(`\`headDim\` must be an integer ≥ the rotary dim ${2 * opts.invFreq.length}, got ${show(headDim)}`);
  }
  const pairs: Array<[Float64Array, Float64Array]> = [];
  if (vectors.kind === "constant") {
    const v = vectors.value ?? 1;
    if (!Number.isFinite(v)) throw invalid(`\`vectors.value\` must be a finite number, got ${show(v)}`);
    const q = new Float64Array(headDim).fill(v);
    pairs.push([q, q]);
  } else if (vectors.kind === "random") {
    if (!Number.isInteger(vectors.samples) || vectors.samples < 1) {
      throw invalid(`\`vectors.samples\` must be an integer ≥ 1, got ${show(vectors.samples)}`);
    }
    const rng = new Rng(vectors.seed);
    for (let s = 0; s < vectors.samples; s++) {
      const q = new Float64Array(headDim);
      for (let j = 0; j < headDim; j++) q[j] = rng.gaussian();
      pairs.push([q, q]);
    }
  } else {
    throw invalid(`\`vectors.kind\` must be "constant" or "random", got ${show((vectors as { kind: unknown }).kind)}`);
  }
  const table = ropeCosSin(opts.invFreq, distances, opts.attentionFactor ?? 1, opts.precision ?? "float64");
  // k sits at n = 0, where the rotation is the identity scaled by the attention factor.
  const kScale = opts.attentionFactor ?? 1;
  const rotate = rotateFor(opts.layout);
  const out = new Float64Array(distances.length);
  const w = table.width;
  const rotated = new Float64Array(headDim);
  for (let d = 0; d < distances.length; d++) {
    const c = table.cos.subarray(d * w, (d + 1) * w);
    const s = table.sin.subarray(d * w, (d + 1) * w);
    let sum = 0;
    for (const [q, k] of pairs) {
      rotate(q, c, s, rotated);
      let acc = 0;
      for (let j = 0; j < w; j++) acc += rotated[j]! * k[j]! * kScale;
      for (let j = w; j < headDim; j++) acc += rotated[j]! * k[j]!;
      sum += acc;
    }
    out[d] = sum / pairs.length;
  }
  return out;
}
