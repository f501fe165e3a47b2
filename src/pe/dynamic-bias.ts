/**
 * Dynamic position bias: an MLP of the signed relative distance, per head (x-transformers), forward and backward.
 *
 * Formula: r = q_i − k_j (query − key, signed); input x = r, or sign(r)·ln(|r| + 1) with `logDistance`;
 *   bias[h, i, j] = MLP(x)_h, MLP = Linear(1, w) → SiLU → [Linear(w, w) → SiLU] × (depth − 1) → Linear(w, H).
 * Paper: Wang et al. 2021, "CrossFormer: A Versatile Vision Transformer Hinging on Cross-scale Attention",
 *   arXiv:2108.00154 (dynamic position bias); used for language models in x-transformers.
 * Reference: lucidrains/x-transformers x_transformers/x_transformers.py DynamicPositionBias (norm=False).
 * Models: x-transformers `dynamic_pos_bias=True` models; CrossFormer (vision).
 * Parameters: `width` w (x-transformers: model dim / 4), `depth` (default 2, x-transformers'
 *   `dynamic_pos_bias_mlp_depth`), `logDistance` (default false); MLP init = PyTorch's nn.Linear default.
 * Config keys: `pe: "dynamic-bias"` with `hidden` (= width), `depth`, `log_distance` (DYNAMIC_BIAS_SPEC below).
 * Differences: the optional LayerNorm inside the MLP (`dynamic_pos_bias_norm`) is not implemented. The reference
 *   evaluates the MLP once per distinct distance and gathers; `dynamicBiasTable` does the same.
 */
import { defineEncoding, REFERENCE_INIT_STD, type TensorDecl } from "./spec.js";
import { checkInt, checkKeys, checkLength, checkPositions } from "./check.js";
import { Rng } from "./random.js";
import { checkMlp, mlpInit, scalarMlpBackward, scalarMlpEval, scalarMlpForward, type MlpLayer, type MlpLayerGrad } from "./scalar-mlp.js";

export interface DynamicBiasParams {
  /** 1 → w → … → H with SiLU between layers. */
  mlp: MlpLayer[];
  /** Feed sign(r)·ln(|r| + 1) instead of r. */
  logDistance: boolean;
}

export const DEFAULT_DYNAMIC_BIAS = { depth: 2, logDistance: false } as const;

/**
 * Seeded initialisation: `depth` hidden layers of width `width`, then H outputs.
 *
 * Example: `dynamicBiasInit(8, 0, { width: 64 })` → MLP 1→64→64→8
 */
export function dynamicBiasInit(heads: number, seed: number | Rng, opts: { width: number; depth?: number; logDistance?: boolean }): DynamicBiasParams {
  checkKeys("dynamic bias init options", opts, ["width", "depth", "logDistance"]);
  const depth = checkInt("depth", opts.depth ?? DEFAULT_DYNAMIC_BIAS.depth);
  const width = checkInt("width", opts.width);
  const sizes = [1, ...new Array<number>(depth).fill(width), checkInt("heads", heads)];
  return { mlp: mlpInit(sizes, seed), logDistance: opts.logDistance ?? DEFAULT_DYNAMIC_BIAS.logDistance };
}

/** The MLP input for a signed distance r. */
export function dynamicBiasInput(r: number, logDistance: boolean): number {
  return logDistance ? Math.sign(r) * Math.log(Math.abs(r) + 1) : r;
}

function signedRange(maxDistance: number): Float64Array {
  checkInt("maxDistance", maxDistance, 0);
  return Float64Array.from({ length: 2 * maxDistance + 1 }, (_, c) => c - maxDistance);
}

function tableAt(p: DynamicBiasParams, rel: Float64Array): Float64Array {
  const heads = checkMlp(p.mlp, "mlp");
  const x = rel.map((r) => dynamicBiasInput(r, p.logDistance));
  const out = scalarMlpEval(p.mlp, "silu", x);
  const t = new Float64Array(out.length);
  for (let e = 0; e < rel.length; e++) for (let h = 0; h < heads; h++) t[h * rel.length + e] = out[e * heads + h]!;
  return t;
}

function tableAtBackward(dTable: ArrayLike<number>, p: DynamicBiasParams, rel: Float64Array): { dMlp: MlpLayerGrad[] } {
  const heads = checkMlp(p.mlp, "mlp");
  checkLength("dTable", dTable, heads * rel.length, "[H, distances]");
  const x = rel.map((r) => dynamicBiasInput(r, p.logDistance));
  const { tape } = scalarMlpForward(p.mlp, "silu", x);
  const dOut = new Float64Array(rel.length * heads);
  for (let e = 0; e < rel.length; e++) for (let h = 0; h < heads; h++) dOut[e * heads + h] = dTable[h * rel.length + e]!;
  return { dMlp: scalarMlpBackward(dOut, p.mlp, "silu", x, tape).dLayers };
}

/**
 * Bias by signed distance: [H, 2·maxDistance+1], column c ↔ r = c − maxDistance (query − key).
 *
 * Example: `dynamicBiasTable(dynamicBiasInit(4, 0, { width: 16 }), 127)` → Float64Array(4 · 255)
 */
export function dynamicBiasTable(p: DynamicBiasParams, maxDistance: number): Float64Array {
  return tableAt(p, signedRange(maxDistance));
}

/** Backward of dynamicBiasTable: MLP gradients from dTable [H, 2·maxDistance+1]. */
export function dynamicBiasTableBackward(dTable: ArrayLike<number>, p: DynamicBiasParams, maxDistance: number): { dMlp: MlpLayerGrad[] } {
  return tableAtBackward(dTable, p, signedRange(maxDistance));
}

/**
 * Bias [H, Tq, Tk] for any integer positions (all pairs; the caller applies the causal mask).
 *
 * Example: `dynamicBiasForward(params, [0, 1, 2], [0, 1, 2])`
 */
export function dynamicBiasForward(p: DynamicBiasParams, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>): Float64Array {
  const { index, maxDistance, tq, tk } = gatherIndex(queryPositions, keyPositions);
  const table = dynamicBiasTable(p, maxDistance);
  const heads = table.length / (2 * maxDistance + 1);
  const out = new Float64Array(heads * tq * tk);
  const w = 2 * maxDistance + 1;
  for (let h = 0; h < heads; h++) for (let e = 0; e < tq * tk; e++) out[h * tq * tk + e] = table[h * w + index[e]!]!;
  return out;
}

/** Backward of dynamicBiasForward: MLP gradients from dBias [H, Tq, Tk]. */
export function dynamicBiasBackward(dBias: ArrayLike<number>, p: DynamicBiasParams, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>): { dMlp: MlpLayerGrad[] } {
  const { index, maxDistance, tq, tk } = gatherIndex(queryPositions, keyPositions);
  const heads = checkMlp(p.mlp, "mlp");
  checkLength("dBias", dBias, heads * tq * tk, "[H, Tq, Tk]");
  const w = 2 * maxDistance + 1;
  const dTable = new Float64Array(heads * w);
  for (let h = 0; h < heads; h++) for (let e = 0; e < tq * tk; e++) dTable[h * w + index[e]!]! += dBias[h * tq * tk + e]!;
  return dynamicBiasTableBackward(dTable, p, maxDistance);
}

function gatherIndex(queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>) {
  const q = checkPositions("queryPositions", queryPositions, true);
  const k = checkPositions("keyPositions", keyPositions, true);
  let maxDistance = 0;
  for (const qi of q) for (const kj of k) maxDistance = Math.max(maxDistance, Math.abs(qi - kj));
  const index = new Int32Array(q.length * k.length);
  for (let i = 0; i < q.length; i++) for (let j = 0; j < k.length; j++) index[i * k.length + j] = q[i]! - k[j]! + maxDistance;
  return { index, maxDistance, tq: q.length, tk: k.length };
}

/** The registry entry (spec.ts): one MLP 1 → hidden (SiLU) × depth → H shared by all layers, N(0, 0.02²). */
export const DYNAMIC_BIAS_SPEC = defineEncoding({
  name: "dynamic-bias", aliases: {}, family: "bias",
  summary: "MLP of the signed relative distance (x-transformers)",
  paper: "Wang et al. 2021, arXiv:2108.00154", reference: "lucidrains/x-transformers DynamicPositionBias", usedBy: "x-transformers dynamic_pos_bias",
  models: ["transformer"], randomized: false,
  params: {
    hidden: { type: "int", default: null, min: 1, derive: { rule: "max(1, ⌊d_model/4⌋)", value: (d) => Math.max(1, Math.floor(d.dModel / 4)) }, help: "hidden width", flag: "bias-hidden" },
    depth: { type: "int", default: DEFAULT_DYNAMIC_BIAS.depth, min: 1, help: "hidden layers", flag: "bias-depth" },
    log_distance: { type: "boolean", default: DEFAULT_DYNAMIC_BIAS.logDistance, help: "feed sign(r)·ln(|r|+1)" },
  },
  tensors: (p, d) => mlpTensors("dynamic_bias.mlp", "shared", [1, ...Array<number>(p.depth).fill(p.hidden), d.nHeads]),
});

/** The linear layers `<prefix>.{k}.weight` [out, in] and `.bias` [out] of an MLP with widths [in, …, out]. */
export function mlpTensors(prefix: string, scope: TensorDecl["scope"], widths: readonly number[]): TensorDecl[] {
  const t: TensorDecl[] = [];
  const init = { kind: "normal", std: REFERENCE_INIT_STD } as const;
  for (let k = 0; k + 1 < widths.length; k++) {
    t.push({ name: `${prefix}.${k}.weight`, scope, shape: [widths[k + 1]!, widths[k]!], init }, { name: `${prefix}.${k}.bias`, scope, shape: [widths[k + 1]!], init });
  }
  return t;
}
