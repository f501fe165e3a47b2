/**
 * `pe: "alibi"`: the Toeplitz table −m_h·n (n = pos_i − pos_j) with the reference slopes
 * (src/pe/alibi.ts), added after the 1/√HS scaling (not divided by √HS). Constant: computed once per
 * plan. Randomized positions: the kernel reads the ids and the table covers distances up to
 * `randomized.max_length − 1`. No parameters; checkpoint: nothing.
 */
import { alibiDistanceTable, alibiSlopes } from "../../../pe/index.js";
import { toeplitzEncoding } from "./toeplitz.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function alibiEncoding(env: EncodingEnv): Encoding {
  const slopes = alibiSlopes(env.cfg.nHeads);
  return toeplitzEncoding(env, { name: "alibi", perLayer: false, learnable: false, table: (_read, _l, D) => alibiDistanceTable(slopes, D) });
}
