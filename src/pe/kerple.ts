/**
 * KERPLE: kernelized relative positional biases (logarithmic and power variants), per head, with gradients.
 *
 * Formula: log: bias_h(k) = −r1_h · ln(1 + r2_h · k); power: bias_h(k) = −a_h · k^p_h; k = |m − n| (causal: keys at
 *   or before the query, 0 after). Gradients: log ∂/∂r1 = −ln(1 + r2·k), ∂/∂r2 = −r1·k/(1 + r2·k);
 *   power ∂/∂a = −k^p, ∂/∂p = −a·k^p·ln k (0 at k = 0, as torch's pow backward).
 * Paper: Chi, Fan, Ramadge & Rudnicky 2022, "KERPLE: Kernelized Relative Positional Embedding for Length
 *   Extrapolation", NeurIPS 2022, arXiv:2205.09921.
 * Reference: chijames/KERPLE megatron/model/positional_embeddings.py ParallelKerpleLog, ParallelKerplePower
 *   (`kerple_power_ap_`: the bias kernel only).
 * Models: the paper's GPT-NeoX models (12 layers, 768 hidden, 12 heads, trained at 512).
 * Parameters: per head r1, r2 (log) or a, p (power). Reference init: r1 ~ U(0, 2), r2 ~ U(0, 1); p ~ U(0, 2),
 *   a ~ U(0, 1); before every forward the reference clamps r1, r2, a ≥ 0.01 and p ∈ [0.01, 2] (`kerpleClamp`).
 * Config keys: `pe: "kerple"` with `kernel` "log" | "power" (KERPLE_SPEC below; aliases "kerple-log", "kerple-power").
 * Differences: the reference clamps the parameters in place inside forward; here `kerpleClamp` is a separate step
 *   the trainer calls after each update (same effect), and the forward refuses non-finite parameters. The
 *   optional multiplicative "weight" kernel exp(−a′|m−n|^p′) of ParallelKerplePower is not implemented.
 */
import { defineEncoding } from "./spec.js";
import { checkFinite, checkInt, checkLength } from "./check.js";
import { biasFromDistanceTable, biasFromDistanceTableBackward, maxDistanceOf, type BiasMode } from "./distance-table.js";
import { Rng } from "./random.js";

export type KerpleParams =
  | { variant: "log"; r1: Float64Array; r2: Float64Array }
  | { variant: "power"; a: Float64Array; p: Float64Array };
export type KerpleVariant = KerpleParams["variant"];
export type KerpleGrads = { variant: "log"; dR1: Float64Array; dR2: Float64Array } | { variant: "power"; dA: Float64Array; dP: Float64Array };

export const KERPLE_EPS = 1e-2;
export const KERPLE_MAX_P = 2;

/** Number of heads of a parameter set. */
export function kerpleHeads(params: KerpleParams): number {
  return params.variant === "log" ? params.r1.length : params.a.length;
}

/**
 * Reference initialisation (uniform, seeded), already clamped.
 *
 * Example: `kerpleInit("log", 12, 42)` → { variant: "log", r1: [12 values in [0.01, 2)], r2: [… in [0.01, 1)] }
 */
export function kerpleInit(variant: KerpleVariant, heads: number, seed: number | Rng): KerpleParams {
  checkInt("heads", heads);
  const rng = typeof seed === "number" ? new Rng(seed) : seed;
  const u = (scale: number) => Float64Array.from({ length: heads }, () => rng.float() * scale);
  const raw: KerpleParams = variant === "log" ? { variant, r1: u(2), r2: u(1) } : { variant: "power", p: u(2), a: u(1) };
  return kerpleClamp(raw);
}

/** The reference's projection: r1, r2, a ≥ 0.01; p ∈ [0.01, 2] (fresh arrays). */
export function kerpleClamp(params: KerpleParams): KerpleParams {
  const lo = (x: Float64Array) => x.map((v) => Math.max(v, KERPLE_EPS));
  if (params.variant === "log") return { variant: "log", r1: lo(params.r1), r2: lo(params.r2) };
  return { variant: "power", a: lo(params.a), p: params.p.map((v) => Math.min(Math.max(v, KERPLE_EPS), KERPLE_MAX_P)) };
}

function checkParams(params: KerpleParams): number {
  const [x, y] = params.variant === "log" ? [params.r1, params.r2] : [params.a, params.p];
  const heads = checkInt("heads", x.length);
  checkLength(params.variant === "log" ? "r2" : "p", y, heads, "[H]");
  for (let h = 0; h < heads; h++) {
    checkFinite(`${params.variant === "log" ? "r1" : "a"}[${h}]`, x[h]);
    checkFinite(`${params.variant === "log" ? "r2" : "p"}[${h}]`, y[h]);
  }
  return heads;
}

/**
 * Bias by distance: [H, maxDistance+1].
 *
 * Example: `kerpleDistanceTable({ variant: "log", r1: Float64Array.of(1), r2: Float64Array.of(1) }, 2)` → [0, −ln 2, −ln 3]
 */
export function kerpleDistanceTable(params: KerpleParams, maxDistance: number): Float64Array {
  const heads = checkParams(params);
  checkInt("maxDistance", maxDistance, 0);
  const w = maxDistance + 1;
  const out = new Float64Array(heads * w);
  for (let h = 0; h < heads; h++) {
    for (let k = 0; k < w; k++) {
      out[h * w + k] = params.variant === "log" ? -params.r1[h]! * Math.log1p(params.r2[h]! * k) : -params.a[h]! * Math.pow(k, params.p[h]!);
    }
  }
  return out;
}

/** Gradients of the per-head parameters from dTable [H, maxDistance+1]. */
export function kerpleDistanceTableBackward(dTable: ArrayLike<number>, params: KerpleParams, maxDistance: number): KerpleGrads {
  const heads = checkParams(params);
  const w = maxDistance + 1;
  checkLength("dTable", dTable, heads * w, "[H, maxDistance+1]");
  const gx = new Float64Array(heads);
  const gy = new Float64Array(heads);
  for (let h = 0; h < heads; h++) {
    for (let k = 0; k < w; k++) {
      const g = dTable[h * w + k]!;
      if (params.variant === "log") {
        const r1 = params.r1[h]!, r2 = params.r2[h]!;
        gx[h]! += -Math.log1p(r2 * k) * g;
        gy[h]! += ((-r1 * k) / (1 + r2 * k)) * g;
      } else if (k > 0) {
        const kp = Math.pow(k, params.p[h]!);
        gx[h]! += -kp * g;
        gy[h]! += -params.a[h]! * kp * Math.log(k) * g;
      }
    }
  }
  return params.variant === "log" ? { variant: "log", dR1: gx, dR2: gy } : { variant: "power", dA: gx, dP: gy };
}

/**
 * Bias matrices [H, Tq, Tk] for integer positions (`causal`: 0 for keys after the query, like the reference's tril).
 *
 * Example: `kerpleBiasForward(kerpleInit("log", 4, 1), [0, 1, 2], [0, 1, 2])`
 */
export function kerpleBiasForward(params: KerpleParams, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>, mode: BiasMode = "causal"): Float64Array {
  const maxDistance = maxDistanceOf(queryPositions, keyPositions, mode);
  return biasFromDistanceTable(kerpleDistanceTable(params, maxDistance), kerpleHeads(params), maxDistance, queryPositions, keyPositions, mode);
}

/** Backward of kerpleBiasForward: gradients of the per-head parameters from dBias [H, Tq, Tk]. */
export function kerpleBiasBackward(dBias: ArrayLike<number>, params: KerpleParams, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>, mode: BiasMode = "causal"): KerpleGrads {
  const maxDistance = maxDistanceOf(queryPositions, keyPositions, mode);
  const dTable = biasFromDistanceTableBackward(dBias, kerpleHeads(params), maxDistance, queryPositions, keyPositions, mode);
  return kerpleDistanceTableBackward(dTable, params, maxDistance);
}

/** The registry entry (spec.ts): `kernel` picks the variant; two [H] tensors per layer, the reference's init. */
export const KERPLE_SPEC = defineEncoding({
  name: "kerple", aliases: { "kerple-log": { kernel: "log" }, "kerple-power": { kernel: "power" } }, family: "bias",
  summary: "kernelized relative bias, log −r1·ln(1 + r2·|m−n|) or power −a·|m−n|^p, learned per head",
  paper: "Chi et al. 2022, arXiv:2205.09921", reference: "chijames/KERPLE ParallelKerpleLog / ParallelKerplePower", usedBy: "KERPLE GPT-NeoX",
  models: ["transformer"], randomized: false,
  params: { kernel: { type: "choice", choices: ["log", "power"], default: "log", help: "kernel: logarithmic or power" } },
  tensors: (p, d) => p.kernel === "log"
    ? [{ name: "r1", scope: "layer", shape: [d.nHeads], init: { kind: "uniform", low: 0, high: 2 } }, { name: "r2", scope: "layer", shape: [d.nHeads], init: { kind: "uniform", low: 0, high: 1 } }]
    : [{ name: "a", scope: "layer", shape: [d.nHeads], init: { kind: "uniform", low: 0, high: 1 } }, { name: "p", scope: "layer", shape: [d.nHeads], init: { kind: "uniform", low: 0, high: 2 } }],
});
