/**
 * ALiBi: attention with linear biases.
 *
 * Formula: bias[h, i, j] = −m_h · (q_i − k_j) for keys at or before the query (`causal`; 0 after it — masked by the
 *   caller), −m_h · |q_i − k_j| (`symmetric`, bidirectional). Slopes for H a power of two: m_h = 2^(−8h/H), h = 1..H;
 *   otherwise with c = 2^⌊log2 H⌋: slopes(c) followed by every other slope of slopes(2c), the first H − c of them.
 *   The bias is added to q·k/√d (it is not divided by √d) and no position embedding is used anywhere else.
 * Paper: Press, Smith & Lewis 2022, "Train Short, Test Long: Attention with Linear Biases Enables Input Length
 *   Extrapolation", ICLR 2022, arXiv:2108.12409.
 * Reference: ofirpress/attention_with_linear_biases fairseq/models/transformer.py get_slopes (L742);
 *   lucidrains/x-transformers x_transformers/x_transformers.py AlibiPositionalBias (symmetric −|j − i|·m).
 * Models: BLOOM, MPT, Falcon (some), Baichuan-13B, Replit.
 * Parameters: `heads` H (≥ 1); `mode` ("causal" default | "symmetric").
 * Config keys: `pe: "alibi"` (ALIBI_SPEC below: no keys; the model uses the causal mode).
 * Differences: slopes are 2^(−8k/n) evaluated directly (the reference's start·start^i is within
 *   H/2 ulp of it: start's rounding error grows with the power).
 *   fairseq adds the positive ramp m·j to the causal mask instead of −m·(i − j); the two agree after
 *   softmax only under a causal mask (row-wise shift invariance). We return −m·(i − j), so biases are comparable
 *   across rows and valid for any positions (KV cache, randomized positions).
 */
import { defineEncoding } from "./spec.js";
import { checkInt } from "./check.js";
import { biasFromDistanceTable, maxDistanceOf, type BiasMode } from "./distance-table.js";

/**
 * Per-head slopes m_h, exactly as ofirpress' get_slopes (float64; the reference's Python floats).
 *
 * Example: `alibiSlopes(8)` → [0.5, 0.25, …, 0.00390625]; `alibiSlopes(12)` ends with 0.7071…, 0.3536…, 0.1768…, 0.0884…
 */
export function alibiSlopes(heads: number): Float64Array {
  checkInt("heads", heads);
  return Float64Array.from(slopes(heads));
}

function powerOfTwoSlopes(n: number): number[] {
  // The reference computes start·start^i with start = 2^(−2^(−(log2 n − 3))) = 2^(−8/n). V8's Math.pow with an
  // integer exponent rounds differently from CPython's libm pow, so we evaluate the same number as 2^(−8(i+1)/n)
  // directly (≤ 1 ulp from exact, exact whenever the slope is a power of two; the reference is within i/2 ulp).
  return Array.from({ length: n }, (_, i) => Math.pow(2, (-8 * (i + 1)) / n));
}

function slopes(n: number): number[] {
  if (Number.isInteger(Math.log2(n))) return powerOfTwoSlopes(n);
  const c = Math.pow(2, Math.floor(Math.log2(n)));
  const extra = slopes(2 * c).filter((_, i) => i % 2 === 0).slice(0, n - c);
  return powerOfTwoSlopes(c).concat(extra);
}

/**
 * Bias by distance: [H, maxDistance+1] with table[h, k] = −m_h · k.
 *
 * Example: `alibiDistanceTable(alibiSlopes(2), 2)` → [0, −0.0625, −0.125, 0, −0.00390625, −0.0078125]
 */
export function alibiDistanceTable(slopes: ArrayLike<number>, maxDistance: number): Float64Array {
  checkInt("maxDistance", maxDistance, 0);
  const w = maxDistance + 1;
  const out = new Float64Array(slopes.length * w);
  for (let h = 0; h < slopes.length; h++) for (let k = 0; k < w; k++) out[h * w + k] = -slopes[h]! * k;
  return out;
}

/**
 * Bias matrices [H, Tq, Tk] for the given integer positions (`causal`: 0 for keys after the query).
 *
 * Example: `alibiBias(alibiSlopes(8), [0, 1, 2, 3], [0, 1, 2, 3])`
 */
export function alibiBias(slopes: ArrayLike<number>, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>, mode: BiasMode = "causal"): Float64Array {
  const maxDistance = maxDistanceOf(queryPositions, keyPositions, mode);
  return biasFromDistanceTable(alibiDistanceTable(slopes, maxDistance), slopes.length, maxDistance, queryPositions, keyPositions, mode);
}

/** The registry entry (spec.ts): causal slopes of the reference, no parameters. */
export const ALIBI_SPEC = defineEncoding({
  name: "alibi", aliases: {}, family: "bias",
  summary: "linear distance penalty with geometric head slopes",
  paper: "Press et al. 2022, arXiv:2108.12409", reference: "ofirpress/attention_with_linear_biases", usedBy: "BLOOM, MPT, Falcon-RW, Baichuan-13B",
  models: ["transformer"], randomized: true, params: {},
});
