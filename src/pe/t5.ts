/**
 * T5 relative position buckets and the learned per-bucket, per-head bias.
 *
 * Formula: relative = key − query; n = −relative; bidirectional: B ← B/2, bucket += B·[n < 0], n ← |n|; causal: n ← max(n, 0).
 *   maxExact = ⌊B/2⌋; n < maxExact → bucket += n; else bucket += min(B − 1,
 *   maxExact + ⌊ln(n/maxExact)/ln(maxDistance/maxExact) · (B − maxExact)⌋). bias[h, i, j] = table[bucket(k_j − q_i), h].
 * Paper: Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
 *   JMLR, arXiv:1910.10683 (§2.1).
 * Reference: huggingface/transformers src/transformers/models/t5/modeling_t5.py T5Attention._relative_position_bucket;
 *   lucidrains/x-transformers x_transformers/x_transformers.py RelativePositionBias; microsoft/torchscale
 *   torchscale/component/relative_position_bias.py.
 * Models: T5, mT5, Flan-T5, LongT5 (local), UL2.
 * Parameters: `numBuckets` B (default 32; ≥ 4 bidirectional, ≥ 2 causal so that maxExact ≥ 1); `maxDistance`
 *   (default 128; must exceed maxExact); `bidirectional` (true for encoders, false for decoders).
 * Config keys: `pe: "t5"` with `num_buckets`, `max_distance` (T5_SPEC below; causal buckets); the table [B, H] is a model parameter.
 * Differences: the reference takes ln in float32; we take it in float64. Over every B in 4..256 (powers of two) and
 *   maxDistance in {4..2048} for |relative| ≤ 5000 the buckets are identical (checked with python3 + torch; see
 *   test/fixtures/pe). x-transformers multiplies the bias by √dim_head; T5 and we do not.
 */
import { defineEncoding, REFERENCE_INIT_STD } from "./spec.js";
import { checkInt, checkKeys, checkLength, checkPositions } from "./check.js";
import { invalid } from "./errors.js";

export interface T5BucketOptions {
  /** true: encoder (keys on both sides get separate buckets); false: causal decoder. */
  bidirectional: boolean;
  /** Number of buckets B, default 32. */
  numBuckets?: number;
  /** Distance from which everything shares the last bucket, default 128. */
  maxDistance?: number;
}

export const DEFAULT_T5 = { numBuckets: 32, maxDistance: 128 } as const;

/** Validates the options once; returns the resolved numbers. */
export function resolveT5Options(opts: T5BucketOptions): { bidirectional: boolean; numBuckets: number; maxDistance: number } {
  checkKeys("T5 bucket options", opts, ["bidirectional", "numBuckets", "maxDistance"]);
  if (typeof opts.bidirectional !== "boolean") throw invalid(`\`bidirectional\` must be true or false, got ${String(opts.bidirectional)}`);
  const numBuckets = checkInt("numBuckets", opts.numBuckets ?? DEFAULT_T5.numBuckets, opts.bidirectional ? 4 : 2);
  const maxDistance = checkInt("maxDistance", opts.maxDistance ?? DEFAULT_T5.maxDistance);
  const maxExact = Math.floor((opts.bidirectional ? Math.floor(numBuckets / 2) : numBuckets) / 2);
  if (maxDistance <= maxExact) throw invalid(`\`maxDistance\` must be > ${maxExact} (the exact-bucket range for ${numBuckets} buckets), got ${maxDistance}`);
  return { bidirectional: opts.bidirectional === true, numBuckets, maxDistance };
}

/**
 * Bucket of one relative position (key − query), exactly as T5.
 *
 * Example: `relativePositionBucket(-128, { bidirectional: false })` → 31; `relativePositionBucket(-5, { bidirectional: false })` → 5
 */
export function relativePositionBucket(relative: number, opts: T5BucketOptions): number {
  if (!Number.isInteger(relative)) throw invalid(`\`relative\` must be an integer, got ${relative}`);
  const { bidirectional, numBuckets, maxDistance } = resolveT5Options(opts);
  return bucketOf(relative, bidirectional, numBuckets, maxDistance);
}

function bucketOf(relative: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let ret = 0;
  let n = -relative;
  let nb = numBuckets;
  if (bidirectional) {
    nb = Math.floor(nb / 2);
    if (n < 0) ret += nb;
    n = Math.abs(n);
  } else {
    n = Math.max(n, 0);
  }
  const maxExact = Math.floor(nb / 2);
  if (n < maxExact) return ret + n;
  const large = maxExact + Math.trunc((Math.log(n / maxExact) / Math.log(maxDistance / maxExact)) * (nb - maxExact));
  return ret + Math.min(large, nb - 1);
}

/**
 * Buckets [Tq, Tk] for integer query and key positions (relative = key − query).
 *
 * Example: `t5Buckets([0, 1, 2], [0, 1, 2], { bidirectional: false })` → [0,0,0, 1,0,0, 2,1,0]
 */
export function t5Buckets(queryPositions: ArrayLike<number>, keyPositions: ArrayLike<number>, opts: T5BucketOptions): Int32Array {
  const { bidirectional, numBuckets, maxDistance } = resolveT5Options(opts);
  const q = checkPositions("queryPositions", queryPositions, true);
  const k = checkPositions("keyPositions", keyPositions, true);
  const out = new Int32Array(q.length * k.length);
  for (let i = 0; i < q.length; i++) {
    for (let j = 0; j < k.length; j++) out[i * k.length + j] = bucketOf(k[j]! - q[i]!, bidirectional, numBuckets, maxDistance);
  }
  return out;
}

/**
 * bias [H, Tq, Tk] = table[bucket, h] from a learned table [numBuckets, H] (PyTorch `Embedding(B, H)` layout).
 *
 * Example: `t5BiasForward(table, 32, 8, t5Buckets(q, k, opts), q.length, k.length)`
 */
export function t5BiasForward(table: ArrayLike<number>, numBuckets: number, heads: number, buckets: ArrayLike<number>, tq: number, tk: number): Float64Array {
  checkShapes(table, numBuckets, heads, buckets, tq, tk);
  const out = new Float64Array(heads * tq * tk);
  for (let e = 0; e < tq * tk; e++) {
    const b = buckets[e]!;
    for (let h = 0; h < heads; h++) out[h * tq * tk + e] = table[b * heads + h]!;
  }
  return out;
}

/** Backward: dTable [numBuckets, H] with dTable[bucket, h] += dBias[h, i, j] (fresh array). */
export function t5BiasBackward(dBias: ArrayLike<number>, numBuckets: number, heads: number, buckets: ArrayLike<number>, tq: number, tk: number): Float64Array {
  checkShapes(new Float64Array(numBuckets * heads), numBuckets, heads, buckets, tq, tk);
  checkLength("dBias", dBias, heads * tq * tk, "[H, Tq, Tk]");
  const dTable = new Float64Array(numBuckets * heads);
  for (let e = 0; e < tq * tk; e++) {
    const b = buckets[e]!;
    for (let h = 0; h < heads; h++) dTable[b * heads + h]! += dBias[h * tq * tk + e]!;
  }
  return dTable;
}

function checkShapes(table: ArrayLike<number>, numBuckets: number, heads: number, buckets: ArrayLike<number>, tq: number, tk: number): void {
  checkInt("numBuckets", numBuckets);
  checkInt("heads", heads);
  checkInt("tq", tq, 0);
  checkInt("tk", tk, 0);
  checkLength("table", table, numBuckets * heads, "[numBuckets, H]");
  checkLength("buckets", buckets, tq * tk, "[Tq, Tk]");
  for (let e = 0; e < buckets.length; e++) {
    const b = buckets[e]!;
    if (!Number.isInteger(b) || b < 0 || b >= numBuckets) throw invalid(`\`buckets[${e}]\` must be an integer in [0, ${numBuckets - 1}], got ${b}`);
  }
}

/** The registry entry (spec.ts): causal buckets, one table `pe.t5.bias` [num_buckets, H] shared by all layers (as T5). */
export const T5_SPEC = defineEncoding({
  name: "t5", aliases: { "t5-bucket": {}, "t5-buckets": {} }, family: "bias",
  summary: "learned bias per log-bucketed relative distance",
  paper: "Raffel et al. 2020, arXiv:1910.10683", reference: "HF transformers T5Attention._relative_position_bucket", usedBy: "T5, mT5, Flan-T5, UL2",
  models: ["transformer"], randomized: false,
  params: {
    num_buckets: { type: "int", default: DEFAULT_T5.numBuckets, min: 2, help: "number of buckets", flag: "t5-buckets" },
    max_distance: { type: "int", default: DEFAULT_T5.maxDistance, min: 1, help: "distance from which all share the last bucket" },
  },
  // the causal bucketing has num_buckets/2 exact buckets, then logarithmic ones up to max_distance
  validate: (p) => p.maxDistance <= Math.floor(p.numBuckets / 2)
    ? `\`pe.max_distance\` must be > \`pe.num_buckets\`/2 (the exact buckets), got ${p.maxDistance} and ${p.numBuckets}` : null,
  tensors: (p, d) => [{ name: "t5.bias", scope: "shared", shape: [p.numBuckets, d.nHeads], init: { kind: "normal", std: REFERENCE_INIT_STD } }],
});
