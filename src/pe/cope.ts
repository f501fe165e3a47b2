/**
 * CoPE: contextual position encoding — positions counted by gates, interpolated integer embeddings; forward + backward.
 *
 * Formula: given gates g_ik ∈ [0, 1] (the model computes g = σ(q_i·k_k) under the causal mask),
 *   p_ij = min(Σ_{k=j..i} g_ik, maxPos − 1); z_i[p] = q_i · e[p] for integer p; with ⌊p⌋, ⌈p⌉ and w = p − ⌊p⌋:
 *   out_ij = w · z_i[⌈p_ij⌉] + (1 − w) · z_i[⌊p_ij⌋], added to the attention logit of (i, j), j ≤ i.
 * Paper: Golovneva, Wang, Weston & Sukhbaatar 2024, "Contextual Position Encoding: Learning to Count What's
 *   Important", arXiv:2405.18719 (Appendix B).
 * Reference: lucidrains/x-transformers x_transformers/x_transformers.py class CoPE (soft_onehot=False,
 *   talking_heads=False).
 * Models: the paper's models; x-transformers `use_cope=True`.
 * Parameters: `maxPos` (default 16, x-transformers' `cope_max_pos`); the embeddings e [maxPos × d] are learned
 *   (x-transformers initialises them to zeros).
 * Config keys: `pe: "cope"` with `max_pos` (COPE_SPEC below); the embeddings [maxPos, head_dim] are a model parameter.
 * Differences: entries above the diagonal (key after query) are 0 here; the reference computes them (p = 0) and
 *   masks them later. Gradients follow torch exactly: none through a clamped p (p > maxPos − 1; p equal to it
 *   passes), and ∂out/∂p = z[⌈p⌉] − z[⌊p⌋] = 0 at integer p. Single head; the model loops over heads.
 */
import { defineEncoding } from "./spec.js";
import { checkInt, checkLength } from "./check.js";
import { invalid } from "./errors.js";

export interface CopeSizes {
  /** Sequence length T (square causal attention). */
  T: number;
  /** Head dimension d. */
  dim: number;
  /** Number of integer position embeddings (positions 0..maxPos−1). */
  maxPos: number;
}

export const DEFAULT_COPE = { maxPos: 16 } as const;

function checkSizes(s: CopeSizes): void {
  checkInt("T", s.T);
  checkInt("dim", s.dim);
  checkInt("maxPos", s.maxPos);
}

/**
 * Contextual positions p_ij [T × T] (0 above the diagonal), clamped to maxPos − 1.
 *
 * Example: `copePositions(Float64Array.of(1, 0, 0.5, 1), { T: 2, dim: 1, maxPos: 16 })` → [1, 0, 1.5, 1]
 */
export function copePositions(gates: ArrayLike<number>, s: CopeSizes): Float64Array {
  checkSizes(s);
  checkLength("gates", gates, s.T * s.T, "[T, T]");
  const p = new Float64Array(s.T * s.T);
  for (let i = 0; i < s.T; i++) {
    let acc = 0;
    for (let j = i; j >= 0; j--) {
      const g = gates[i * s.T + j]!;
      if (!(g >= 0 && g <= 1)) throw invalid(`\`gates[${i}, ${j}]\` must be in [0, 1], got ${g}`);
      acc += g;
      p[i * s.T + j] = Math.min(acc, s.maxPos - 1);
    }
  }
  return p;
}

/** Unclamped reverse cumulative sums (what the clamp's gradient mask needs). */
function rawSums(gates: ArrayLike<number>, T: number): Float64Array {
  const out = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    let acc = 0;
    for (let j = i; j >= 0; j--) out[i * T + j] = acc += gates[i * T + j]!;
  }
  return out;
}

/** z [T × maxPos]: z_i[p] = q_i · e[p]. */
function integerLogits(q: ArrayLike<number>, emb: ArrayLike<number>, s: CopeSizes): Float64Array {
  const z = new Float64Array(s.T * s.maxPos);
  for (let i = 0; i < s.T; i++) {
    for (let p = 0; p < s.maxPos; p++) {
      let acc = 0;
      for (let c = 0; c < s.dim; c++) acc += q[i * s.dim + c]! * emb[p * s.dim + c]!;
      z[i * s.maxPos + p] = acc;
    }
  }
  return z;
}

/**
 * out [T × T]: the CoPE logit term for each (query i, key j ≤ i); 0 above the diagonal.
 *
 * Example: `copeForward(q, emb, gates, { T: 8, dim: 16, maxPos: 16 })`
 */
export function copeForward(q: ArrayLike<number>, emb: ArrayLike<number>, gates: ArrayLike<number>, s: CopeSizes): Float64Array {
  checkSizes(s);
  checkLength("q", q, s.T * s.dim, "[T, dim]");
  checkLength("emb", emb, s.maxPos * s.dim, "[maxPos, dim]");
  const p = copePositions(gates, s);
  const z = integerLogits(q, emb, s);
  const out = new Float64Array(s.T * s.T);
  for (let i = 0; i < s.T; i++) {
    for (let j = 0; j <= i; j++) {
      const pij = p[i * s.T + j]!;
      const lo = Math.floor(pij), hi = Math.ceil(pij), w = pij - lo;
      out[i * s.T + j] = z[i * s.maxPos + hi]! * w + z[i * s.maxPos + lo]! * (1 - w);
    }
  }
  return out;
}

/** Backward of copeForward: dQ [T × dim], dEmb [maxPos × dim], dGates [T × T] (0 above the diagonal: those gates are mask constants in the model; torch reports sums there). */
export function copeBackward(dOut: ArrayLike<number>, q: ArrayLike<number>, emb: ArrayLike<number>, gates: ArrayLike<number>, s: CopeSizes): { dQ: Float64Array; dEmb: Float64Array; dGates: Float64Array } {
  checkSizes(s);
  checkLength("dOut", dOut, s.T * s.T, "[T, T]");
  const p = copePositions(gates, s);
  const raw = rawSums(gates, s.T);
  const z = integerLogits(q, emb, s);
  const dZ = new Float64Array(s.T * s.maxPos);
  const dGates = new Float64Array(s.T * s.T);
  for (let i = 0; i < s.T; i++) {
    // dSum_ij for j = 0..i, then dg_ik = Σ_{j ≤ k} dSum_ij (the sum for column j covers keys j..i).
    let carry = 0;
    for (let j = 0; j <= i; j++) {
      const g = dOut[i * s.T + j]!;
      const pij = p[i * s.T + j]!;
      const lo = Math.floor(pij), hi = Math.ceil(pij), w = pij - lo;
      dZ[i * s.maxPos + hi]! += g * w;
      dZ[i * s.maxPos + lo]! += g * (1 - w);
      const dP = g * (z[i * s.maxPos + hi]! - z[i * s.maxPos + lo]!);
      carry += raw[i * s.T + j]! > s.maxPos - 1 ? 0 : dP;
      dGates[i * s.T + j] = carry;
    }
  }
  const dQ = new Float64Array(s.T * s.dim);
  const dEmb = new Float64Array(s.maxPos * s.dim);
  for (let i = 0; i < s.T; i++) {
    for (let pp = 0; pp < s.maxPos; pp++) {
      const g = dZ[i * s.maxPos + pp]!;
      if (g === 0) continue;
      for (let c = 0; c < s.dim; c++) {
        dQ[i * s.dim + c]! += g * emb[pp * s.dim + c]!;
        dEmb[pp * s.dim + c]! += g * q[i * s.dim + c]!;
      }
    }
  }
  return { dQ, dEmb, dGates };
}

/** The registry entry (spec.ts): embeddings [max_pos, head dim] per layer, zeros as x-transformers. */
export const COPE_SPEC = defineEncoding({
  name: "cope", aliases: {}, family: "contextual",
  summary: "positions counted by sigmoid gates, interpolated embeddings",
  paper: "Golovneva et al. 2024, arXiv:2405.18719", reference: "lucidrains/x-transformers CoPE", usedBy: "CoPE models, x-transformers use_cope",
  models: ["transformer"], randomized: false,
  params: { max_pos: { type: "int", default: DEFAULT_COPE.maxPos, min: 1, help: "number of integer position embeddings" } },
  tensors: (p, d) => [{ name: "pos_emb", scope: "layer", shape: [p.maxPos, d.headDim], init: { kind: "constant", value: 0 } }],
});
