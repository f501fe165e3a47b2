/**
 * `pe: "learned"`: the table `pos_emb.weight` [tableSize, d] (a parameter, trained by the same AdamW),
 * added to the token embeddings unscaled; `embeddingForward` gathers row ids and `embeddingBackward`
 * scatter-adds its gradient. Positions beyond the table follow `pe.beyond_table`: "clamp" reads (and
 * trains) the last row, "refuse" throws (src/pe/learned.ts `learnedRow`). Randomized positions index
 * the table directly (tableSize ≥ randomized.max_length is validated by the config).
 */
import { learnedRow } from "../../../pe/index.js";
import { ExtraposError } from "../../../pe/errors.js";
import type { PeConfig } from "../../config.js";
import { encodingParamNamer } from "../../params.js";
import { baseEncoding } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

const ROWS = "learned.rows";

export function learnedEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as Extract<PeConfig, { kind: "learned" }>;
  const d = env.cfg.dModel;
  const param = encodingParamNamer(env.cfg)("pos_emb.weight");
  const row = (pos: number): number => {
    try {
      return learnedRow(pos, pe.tableSize, pe.beyondTable);
    } catch (e) {
      if (e instanceof ExtraposError) throw new ExtraposError("invalid_argument", `${e.message} (\`pe.beyond_table\` is "refuse")`, e.hint);
      throw e;
    }
  };
  return {
    ...baseEncoding(env),
    tensors: (s) => [{ name: ROWS, shape: [s.B, s.T], dtype: "i32" }],
    prepare(pass) {
      const rows = pass.acts.i32(ROWS);
      for (let i = 0; i < rows.length; i++) rows[i] = row(pass.posIds[i]!);
    },
    embedding: (pass) => ({ table: env.params.ptr(param), rows: pe.tableSize, ids: pass.acts.ptr(ROWS), dTable: env.grads.ptr(param) }),
    hooks: (params) => {
      const table = params.get(param)!;
      return {
        absolute: (pos, x) => {
          const r = row(pos);
          for (let k = 0; k < d; k++) x[k]! += table[r * d + k]!;
        },
      };
    },
  };
}
