/**
 * `pe: "adaptive"`: the seed's length-adaptive encoding (src/pe/adaptive.ts) in its `sequence` reading:
 * L = the current sequence length T, at training and at evaluation, positions 0…T−1, interleaved
 * layout, minimum period 4; added to the token embeddings unscaled. The table [T, d] is computed once
 * per plan. Because every position's encoding depends on T, the decoder cannot cache anything: its
 * policy is "recompute" (the full forward over the prefix at each step). No parameters.
 */
import { adaptiveTable, adaptiveTableAt } from "../../../pe/index.js";
import { constantTableEncoding } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function adaptiveEncoding(env: EncodingEnv): Encoding {
  const dim = env.cfg.dModel;
  return {
    ...constantTableEncoding(env, "adaptive.table", (span) => adaptiveTable(span, { dim }), (pos, T) => adaptiveTableAt([pos], T, { dim })),
    cachePolicy: () => "recompute",
  };
}
