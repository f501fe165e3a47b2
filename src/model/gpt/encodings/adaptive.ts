/**
 * `pe: "adaptive"`: the seed's length-adaptive encoding (src/pe/adaptive.ts) in its `sequence` reading:
 * L = the current sequence length T, at training and at evaluation, positions 0…T−1, interleaved
 * layout, minimum period 4; added to the token embeddings unscaled. The table [T, d] is computed once
 * per plan. Because every position's encoding depends on T, the decoder cannot cache anything: its
 * policy is "recompute" (the full forward over the prefix at each step). No parameters.
 */
import { adaptiveTable, adaptiveTableAt } from "../../../pe/index.js";
import { baseEncoding, passKey, writeTable } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

const TABLE = "adaptive.table";

export function adaptiveEncoding(env: EncodingEnv): Encoding {
  const d = env.cfg.dModel;
  let preparedKey = "";
  return {
    ...baseEncoding(env),
    tensors: (s) => [{ name: TABLE, shape: [s.span, d], dtype: "f32" }],
    prepare(pass) {
      const key = passKey(pass);
      if (key === preparedKey) return;
      writeTable(pass.acts, TABLE, adaptiveTable(pass.shape.span, { dim: d }));
      preparedKey = key;
    },
    embedding: (pass) => ({ table: pass.acts.ptr(TABLE), rows: pass.shape.span, ids: pass.posIdsPtr, dTable: 0 }),
    hooks: (_params, opts) => ({
      absolute: (pos, x) => {
        const row = adaptiveTableAt([pos], opts.T, { dim: d });
        for (let k = 0; k < d; k++) x[k] += row[k]!;
      },
    }),
    cachePolicy: () => "recompute",
  };
}
