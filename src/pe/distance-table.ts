/**
 * Shared helper: expand a per-head table indexed by distance into bias matrices, and its backward.
 *
 * Formula: bias[h, i, j] = table[h, |q_i − k_j|]  (`symmetric`), or the same for k_j ≤ q_i and 0 for k_j > q_i
 *   (`causal`: the caller's causal mask removes those entries; 0 matches the reference's `tril`).
 *   Backward: dTable[h, |q_i − k_j|] += dBias[h, i, j] over the entries the forward used.
 * Paper: none (plumbing shared by ALiBi, KERPLE and Sandwich, whose biases depend only on |i − j|).
 * Reference: chijames/KERPLE megatron/model/positional_embeddings.py (`diff = tril(...)`); lucidrains/x-transformers
 *   AlibiPositionalBias (−|j − i|·m for any positions).
 * Models: see alibi.ts, kerple.ts, sandwich.ts.
 * Parameters: `table` [H, maxDistance+1] row-major; query/key positions (integers); `mode`.
 * Config keys: none.
 * Differences: none. Layout convention used by every bias in src/pe: [H, Tq, Tk] row-major, heads outermost.
 */
import { checkChoice, checkInt, checkLength, checkPositions } from "./check.js";
import { invalid } from "./errors.js";

export type BiasMode = "causal" | "symmetric";
export const BIAS_MODES: readonly BiasMode[] = ["causal", "symmetric"];

/** Largest |q − k| over the pairs a forward will read (keys after queries are skipped in `causal`). */
export function maxDistanceOf(queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>, mode: BiasMode): number {
  let m = 0;
  for (let i = 0; i < queryPositions.length; i++) {
    for (let j = 0; j < keyPositions.length; j++) {
      const r = queryPositions[i]! - keyPositions[j]!;
      if (mode === "causal" && r < 0) continue;
      if (Math.abs(r) > m) m = Math.abs(r);
    }
  }
  return m;
}

/**
 * [H, Tq, Tk] biases from a [H, maxDistance+1] table.
 *
 * Example: `biasFromDistanceTable(Float64Array.of(0, -1, -2), 1, 2, [0, 1, 2], [0, 1, 2], "causal")`
 *   → rows [0,0,0], [−1,0,0], [−2,−1,0]
 */
export function biasFromDistanceTable(table: ArrayLike<number>, heads: number, maxDistance: number, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>, mode: BiasMode): Float64Array {
  const { q, k } = check(table, heads, maxDistance, queryPositions, keyPositions, mode);
  const width = maxDistance + 1;
  const out = new Float64Array(heads * q.length * k.length);
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < k.length; j++) {
      const r = q[i]! - k[j]!;
      if (mode === "causal" && r < 0) continue;
      const dist = Math.abs(r);
      for (let h = 0; h < heads; h++) out[(h * q.length + i) * k.length + j] = table[h * width + dist]!;
    }
  }
  return out;
}

/** Backward of biasFromDistanceTable: dTable [H, maxDistance+1] (fresh array). */
export function biasFromDistanceTableBackward(dBias: ArrayLike<number>, heads: number, maxDistance: number, queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>, mode: BiasMode): Float64Array {
  const width = maxDistance + 1;
  const { q, k } = check(new Float64Array(heads * width), heads, maxDistance, queryPositions, keyPositions, mode);
  checkLength("dBias", dBias, heads * q.length * k.length, "[H, Tq, Tk]");
  const dTable = new Float64Array(heads * width);
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < k.length; j++) {
      const r = q[i]! - k[j]!;
      if (mode === "causal" && r < 0) continue;
      const dist = Math.abs(r);
      for (let h = 0; h < heads; h++) dTable[h * width + dist]! += dBias[(h * q.length + i) * k.length + j]!;
    }
  }
  return dTable;
}

function check(table: ArrayLike<number>, heads: number, maxDistance: number, qp: ArrayLike<number>, kp: ArrayLike<number>, mode: BiasMode) {
  checkInt("heads", heads);
  checkInt("maxDistance", maxDistance, 0);
  checkChoice("mode", mode, BIAS_MODES);
  checkLength("table", table, heads * (maxDistance + 1), "[H, maxDistance+1]");
  const q = checkPositions("queryPositions", qp, true);
  const k = checkPositions("keyPositions", kp, true);
  const need = maxDistanceOf(q, k, mode);
  if (need > maxDistance) throw invalid(`the distance table covers distances 0..${maxDistance}, but the positions need ${need}`);
  return { q, k };
}
