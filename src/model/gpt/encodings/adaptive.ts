/**
 * `pe: "adaptive"`: the seed's length-adaptive encoding (src/pe/adaptive.ts), interleaved, minimum period
 * `min_period`, added to the token embeddings unscaled; the table [span, d] is computed once per plan. What L
 * is follows `length_mode`:
 * - "sequence" (the seed's reading): L = the current sequence length T at training and at evaluation; every
 *   position's encoding depends on T, so the decoder cannot cache anything: policy "recompute";
 * - "fixed": L = `length` (default the training length) at all times, positions 0…T−1; an encoding does not
 *   depend on T, so the decoder caches keys as for any absolute table;
 * - "window": L = `window` W and positions are relative to the last W tokens (pos − max(0, T − W)), older
 *   tokens get negative positions; depends on T: "recompute".
 * No parameters.
 */
import { adaptiveLengthOf, adaptivePositions, adaptiveTableAt, type PeConfigOf } from "../../../pe/index.js";
import { constantTableEncoding } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function adaptiveEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as PeConfigOf<"adaptive">;
  const opts = { dim: env.cfg.dModel, minPeriod: pe.minPeriod, layout: "interleaved" as const };
  const length = adaptiveLengthOf(pe);
  const table = (span: number): Float64Array => {
    const { positions, L } = adaptivePositions(span, length);
    return adaptiveTableAt(positions, L, opts);
  };
  // one row: token `pos` of a sequence of T tokens (its position and L under the mode)
  const row = (pos: number, T: number): Float64Array =>
    length.kind === "fixed" ? adaptiveTableAt([pos], length.length, opts)
      : length.kind === "window" ? adaptiveTableAt([pos - Math.max(0, T - length.window)], length.window, opts)
        : adaptiveTableAt([pos], T, opts);
  return {
    ...constantTableEncoding(env, "adaptive.table", table, row),
    cachePolicy: () => (length.kind === "fixed" ? "keys-after-rotation" : "recompute"),
  };
}
