/**
 * Sandwich: the inner product of two sinusoidal encodings as a parameter-free relative bias, per-head temperature.
 *
 * Formula: ω_i = 1/10000^(2i/d) for i = 1..d/2 (note: from 1, not 0); S(k) = Σ_i cos(k·ω_i);
 *   bias[h, k] = (S(k) − d/2) / (h · 8/H), h = 1..H, k = |m − n| (causal: 0 for keys after the query, because the
 *   reference's tril sets k = 0 there, and S(0) − d/2 = 0). bias(0) = 0 and bias ≤ 0.
 * Paper: Chi, Fan, Rudnicky & Ramadge 2023, "Dissecting Transformer Length Extrapolation via the Lens of Receptive
 *   Field Analysis", ACL 2023, arXiv:2212.10356.
 * Reference: NVIDIA/NeMo nemo/collections/nlp/modules/common/megatron/position_embedding/
 *   sandwich_relative_position_embedding.py SandwichRelativePositionEmbedding (with `.cos()`).
 * Models: the paper's GPT-NeoX models; NeMo `position_embedding_type: sandwich`.
 * Parameters: `dim` d = the head dimension (NeMo passes hidden_size/heads or kv_channels; even), `heads` H.
 * Config keys: `pe: "sandwich"` (no parameters; d and H come from the model).
 * Differences: none. Beware an older NeMo copy that omits `.cos()` (a sum of the raw angles) and stops the
 *   frequencies at d/2 − 1: it is a different, unbounded bias; we implement the corrected file.
 */
import { defineEncoding } from "./spec.js";
import { checkInt } from "./check.js";
import { biasFromDistanceTable, maxDistanceOf, type BiasMode } from "./distance-table.js";
import { invalid } from "./errors.js";

/**
 * ω_i = 1/10000^(2i/d), i = 1..d/2.
 *
 * Example: `sandwichFrequencies(4)` → [0.01, 0.0001]
 */
export function sandwichFrequencies(dim: number): Float64Array {
  checkInt("dim", dim, 2);
  if (dim % 2 !== 0) throw invalid(`\`dim\` must be even for Sandwich (sin/cos pairs), got ${dim}`);
  return Float64Array.from({ length: dim / 2 }, (_, k) => 1 / Math.pow(10000, (2 * (k + 1)) / dim));
}

/**
 * Bias by distance [H, maxDistance+1].
 *
 * Example: `sandwichDistanceTable(64, 8, 1023)` → row h decays from 0 with temperature h·8/H
 */
export function sandwichDistanceTable(dim: number, heads: number, maxDistance: number): Float64Array {
  const w = sandwichFrequencies(dim);
  checkInt("heads", heads);
  checkInt("maxDistance", maxDistance, 0);
  const width = maxDistance + 1;
  const out = new Float64Array(heads * width);
  for (let k = 0; k < width; k++) {
    let s = 0;
    for (const wi of w) s += Math.cos(k * wi);
    for (let h = 0; h < heads; h++) out[h * width + k] = (s - dim / 2) / (((h + 1) * 8) / heads);
  }
  return out;
}

/**
 * Bias matrices [H, Tq, Tk] for integer positions.
 *
 * Example: `sandwichBias(64, 8, [0, 1, 2], [0, 1, 2])`
 */
export function sandwichBias(dim: number, heads: number, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>, mode: BiasMode = "causal"): Float64Array {
  const maxDistance = maxDistanceOf(queryPositions, keyPositions, mode);
  return biasFromDistanceTable(sandwichDistanceTable(dim, heads, maxDistance), heads, maxDistance, queryPositions, keyPositions, mode);
}

/** The registry entry (spec.ts): parameter-free. */
export const SANDWICH_SPEC = defineEncoding({
  name: "sandwich", aliases: {}, family: "bias",
  summary: "inner product of sinusoidal encodings, per-head temperature",
  paper: "Chi et al. 2023, arXiv:2212.10356", reference: "NVIDIA NeMo sandwich (corrected formula)", usedBy: "NeMo sandwich models",
  models: ["transformer"], randomized: false, params: {},
});
