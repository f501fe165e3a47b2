/**
 * `pe: "sinusoidal"`: the seed's module (src/pe/sinusoidal.ts: interleaved, channel 2i = sin(pos·ω_i),
 * 2i+1 = cos, ω_i = base^(−2i/d)), added to the token embeddings unscaled. The table [span, d] is
 * computed in float64 once per plan and given to `embeddingForward` as a constant position table
 * (rows = position ids, so randomized positions just index it). No parameters; checkpoint: nothing.
 */
import { sinusoidalTable } from "../../../pe/index.js";
import type { PeConfig } from "../../config.js";
import { baseEncoding, passKey, writeTable } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

const TABLE = "sinusoidal.table";

export function sinusoidalEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as Extract<PeConfig, { kind: "sinusoidal" }>;
  const d = env.cfg.dModel;
  let preparedKey = "";
  return {
    ...baseEncoding(env),
    tensors: (s) => [{ name: TABLE, shape: [s.span, d], dtype: "f32" }],
    prepare(pass) {
      const key = passKey(pass);
      if (key === preparedKey) return;
      writeTable(pass.acts, TABLE, sinusoidalTable(pass.shape.span, { dim: d, base: pe.base }));
      preparedKey = key;
    },
    embedding: (pass) => ({ table: pass.acts.ptr(TABLE), rows: pass.shape.span, ids: pass.posIdsPtr, dTable: 0 }),
    hooks: () => ({
      absolute: (pos, x) => {
        const row = sinusoidalTable([pos], { dim: d, base: pe.base });
        for (let k = 0; k < d; k++) x[k] += row[k]!;
      },
    }),
  };
}
