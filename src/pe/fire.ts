/**
 * FIRE: functional interpolation for relative positions, forward and backward wrt every parameter.
 *
 * Formula: b(i, j) = f(ψ(q_i − k_j) / (ψ(max(q_i, L)) + eps)), ψ(x) = ln(|c·x| + 1), L = |lMultiplier · initL|,
 *   f an MLP 1 → width → H with ReLU (src/pe/scalar-mlp.ts). For query positions below L the normaliser is the
 *   constant ψ(L), so the bias depends on the distance only (`fireDistanceTable`); beyond L it normalises by the
 *   query's own position ("progressive interpolation": the MLP input stays in [0, 1] for causal pairs).
 * Paper: Li et al. 2024, "Functional Interpolation for Relative Positions Improves Long Context Transformers",
 *   ICLR 2024, arXiv:2310.04418.
 * Reference: mcleish7/arithmetic cramming/architectures/embeddings.py class FIRE (no official Google release).
 * Models: the paper's T5-style decoders; Abacus/arithmetic length-generalisation models (McLeish et al. 2024).
 * Parameters: `width` 32, `initC` 0.1, `initL` 512 (fixed), `lMultiplier` init 1 (learnable), `c` learnable,
 *   `eps` 1e-6 — all the reference's defaults; MLP init = PyTorch's nn.Linear default.
 * Config keys: `pe: "fire"` with `hidden` (= width), `init_c`, `init_l` (FIRE_SPEC below; eps stays 1e-6).
 * Differences: none in the math. Like torch, |x| has derivative 0 at 0, ReLU has derivative 0 at 0, and
 *   max(q, L) splits its gradient ½/½ when q = L exactly (torch.max of two tensors). The reference's random
 *   positions (randperm) are src/pe/randomized.ts; pass them as positions.
 */
import { defineEncoding } from "./spec.js";
import { mlpTensors } from "./dynamic-bias.js";
import { arange, checkFinite, checkInt, checkKeys, checkLength, checkPositions, checkPositive } from "./check.js";
import { Rng } from "./random.js";
import { checkMlp, mlpInit, evalReluMlpPieces, reluMlpPieces, scalarMlpBackward, scalarMlpEval, scalarMlpForward, type MlpLayer, type MlpLayerGrad } from "./scalar-mlp.js";

export interface FireParams {
  /** 1 → width → H, ReLU. */
  mlp: MlpLayer[];
  /** Log-transform scale c (learnable; init 0.1). */
  c: number;
  /** Learnable multiplier of initL (init 1). */
  lMultiplier: number;
  /** Fixed base threshold (512). */
  initL: number;
  /** Added to the normaliser (1e-6). */
  eps: number;
}

export interface FireGrads {
  dMlp: MlpLayerGrad[];
  dC: number;
  dLMultiplier: number;
}

export const DEFAULT_FIRE = { width: 32, initC: 0.1, initL: 512, eps: 1e-6 } as const;

export interface FireInitOptions {
  width?: number;
  initC?: number;
  initL?: number;
  eps?: number;
}

/**
 * Reference initialisation for H heads (seeded).
 *
 * Example: `fireInit(8, 0)` → { mlp: [1→32, 32→8], c: 0.1, lMultiplier: 1, initL: 512, eps: 1e-6 }
 */

export function fireInit(heads: number, seed: number | Rng, opts: FireInitOptions = {}): FireParams {
  checkKeys("FIRE init options", opts, ["width", "initC", "initL", "eps"]);
  const o = { ...DEFAULT_FIRE, ...opts };
  return { mlp: mlpInit([1, checkInt("width", o.width), checkInt("heads", heads)], seed), c: o.initC, lMultiplier: 1, initL: checkPositive("initL", o.initL), eps: o.eps };
}

/** L = |lMultiplier · initL|. */
export function fireThreshold(p: FireParams): number {
  return Math.abs(p.lMultiplier * p.initL);
}

function checkParams(p: FireParams): number {
  checkFinite("c", p.c);
  checkFinite("lMultiplier", p.lMultiplier);
  checkFinite("initL", p.initL);
  checkFinite("eps", p.eps);
  return checkMlp(p.mlp, "mlp");
}

/** One MLP input per pair: relative distance r and normaliser position n (= max(q, L)), with dn/dL. */
interface Pairs {
  rel: Float64Array;
  norm: Float64Array;
  dNormDL: Float64Array;
}

function inputs(p: FireParams, pairs: Pairs): Float64Array {
  const x = new Float64Array(pairs.rel.length);
  for (let e = 0; e < x.length; e++) {
    x[e] = Math.log(Math.abs(p.c * pairs.rel[e]!) + 1) / (Math.log(Math.abs(p.c * pairs.norm[e]!) + 1) + p.eps);
  }
  return x;
}

function backwardThroughInputs(dX: Float64Array, p: FireParams, pairs: Pairs): { dC: number; dLMultiplier: number } {
  let dC = 0, dL = 0;
  for (let e = 0; e < dX.length; e++) {
    const r = pairs.rel[e]!, n = pairs.norm[e]!;
    const a = Math.log(Math.abs(p.c * r) + 1);
    const den = Math.log(Math.abs(p.c * n) + 1) + p.eps;
    const dA = dX[e]! / den;
    const dB = (-dX[e]! * a) / (den * den);
    const sr = Math.sign(p.c * r), sn = Math.sign(p.c * n);
    dC += (dA * sr * r) / (Math.abs(p.c * r) + 1) + (dB * sn * n) / (Math.abs(p.c * n) + 1);
    dL += ((dB * sn * p.c) / (Math.abs(p.c * n) + 1)) * pairs.dNormDL[e]!;
  }
  return { dC, dLMultiplier: dL * Math.sign(p.lMultiplier * p.initL) * p.initL };
}

function pairsOf(p: FireParams, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>): Pairs {
  const q = checkPositions("queryPositions", queryPositions);
  const k = checkPositions("keyPositions", keyPositions);
  const L = fireThreshold(p);
  const n = q.length * k.length;
  const pairs: Pairs = { rel: new Float64Array(n), norm: new Float64Array(n), dNormDL: new Float64Array(n) };
  for (let i = 0; i < q.length; i++) {
    const qi = q[i]!;
    for (let j = 0; j < k.length; j++) {
      const e = i * k.length + j;
      pairs.rel[e] = qi - k[j]!;
      pairs.norm[e] = Math.max(qi, L);
      pairs.dNormDL[e] = qi > L ? 0 : qi === L ? 0.5 : 1;
    }
  }
  return pairs;
}

/** f(x) [N, H]: FIRE's usual 1 → W → H ReLU MLP as linear pieces (fast, exact up to rounding), else directly. */
function mlpOut(p: FireParams, x: Float64Array): Float64Array {
  return p.mlp.length === 2 ? evalReluMlpPieces(reluMlpPieces(p.mlp), x) : scalarMlpEval(p.mlp, "relu", x);
}

/** [N, H] → [H, N]. */
function transpose(a: Float64Array, n: number, h: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let e = 0; e < n; e++) for (let c = 0; c < h; c++) out[c * n + e] = a[e * h + c]!;
  return out;
}

/**
 * Bias [H, Tq, Tk] for any query/key positions (all pairs; the caller applies the causal mask).
 *
 * Example: `fireForward(fireInit(4, 0), [0, 1, 2], [0, 1, 2])` → Float64Array(36)
 */
export function fireForward(p: FireParams, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>): Float64Array {
  const heads = checkParams(p);
  const x = inputs(p, pairsOf(p, queryPositions, keyPositions));
  return transpose(mlpOut(p, x), x.length, heads);
}

/** Backward of fireForward: gradients of the MLP, c and lMultiplier from dBias [H, Tq, Tk]. */
export function fireBackward(dBias: ArrayLike<number>, p: FireParams, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>): FireGrads {
  const heads = checkParams(p);
  const pairs = pairsOf(p, queryPositions, keyPositions);
  return backwardCore(dBias, p, pairs, heads);
}

function backwardCore(dBias: ArrayLike<number>, p: FireParams, pairs: Pairs, heads: number): FireGrads {
  const x = inputs(p, pairs);
  const n = x.length;
  checkLength("dBias", dBias, heads * n, "[H, Tq, Tk]");
  const { tape } = scalarMlpForward(p.mlp, "relu", x);
  const dOut = new Float64Array(n * heads);
  for (let e = 0; e < n; e++) for (let h = 0; h < heads; h++) dOut[e * heads + h] = dBias[h * n + e]!;
  const { dLayers, dX } = scalarMlpBackward(dOut, p.mlp, "relu", x, tape);
  return { dMlp: dLayers, ...backwardThroughInputs(dX, p, pairs) };
}

function distancePairs(p: FireParams, maxDistance: number): Pairs {
  const d = arange(checkInt("maxDistance", maxDistance, 0) + 1);
  const L = fireThreshold(p);
  return { rel: d, norm: new Float64Array(d.length).fill(L), dNormDL: new Float64Array(d.length).fill(1) };
}

/**
 * Bias by distance [H, maxDistance+1]: b(i, i − k) for k = 0..maxDistance, exact for every query position i < L
 * (the normaliser is then ψ(L)); for i ≥ L use fireForward.
 *
 * Example: `fireDistanceTable(fireInit(4, 0), 511)` → the whole causal bias of a 512-token window
 */
export function fireDistanceTable(p: FireParams, maxDistance: number): Float64Array {
  const heads = checkParams(p);
  const pairs = distancePairs(p, maxDistance);
  const x = inputs(p, pairs);
  return transpose(mlpOut(p, x), x.length, heads);
}

/** Backward of fireDistanceTable from dTable [H, maxDistance+1]. */
export function fireDistanceTableBackward(dTable: ArrayLike<number>, p: FireParams, maxDistance: number): FireGrads {
  const heads = checkParams(p);
  return backwardCore(dTable, p, distancePairs(p, maxDistance), heads);
}

/** The registry entry (spec.ts): per layer an MLP 1 → hidden → H (ReLU), `c` and `L_multiplier` (mcleish7/arithmetic). */
export const FIRE_SPEC = defineEncoding({
  name: "fire", aliases: {}, family: "bias",
  summary: "MLP of log-distance normalised by max(L, query position)",
  paper: "Li et al. 2024, arXiv:2310.04418", reference: "mcleish7/arithmetic FIRE", usedBy: "FIRE decoders, Abacus arithmetic models",
  models: ["transformer"], randomized: false,
  params: {
    hidden: { type: "int", default: DEFAULT_FIRE.width, min: 1, help: "hidden width of the MLP" },
    init_c: { type: "number", default: DEFAULT_FIRE.initC, above: 0, help: "initial c of ψ(x) = ln(c·x + 1)" },
    init_l: { type: "number", default: DEFAULT_FIRE.initL, above: 0, help: "base threshold L (times a learned multiplier)" },
  },
  tensors: (p, d) => [
    ...mlpTensors("mlp", "layer", [1, p.hidden, d.nHeads]),
    { name: "c", scope: "layer", shape: [1], init: { kind: "constant", value: p.initC } },
    { name: "L_multiplier", scope: "layer", shape: [1], init: { kind: "constant", value: 1 } },
  ],
});
