/**
 * `pe: "sinusoidal"`: the seed's module (src/pe/sinusoidal.ts: interleaved, channel 2i = sin(pos·ω_i),
 * 2i+1 = cos, ω_i = base^(−2i/d)), added to the token embeddings unscaled. The table [span, d] is
 * computed in float64 once per plan and given to `embeddingForward` as a constant position table
 * (rows = position ids, so randomized positions just index it). No parameters; checkpoint: nothing.
 */
import { sinusoidalTable } from "../../../pe/index.js";
import type { PeConfig } from "../../config.js";
import { constantTableEncoding } from "./base.js";
import type { Encoding, EncodingEnv } from "./types.js";

export function sinusoidalEncoding(env: EncodingEnv): Encoding {
  const pe = env.cfg.pe as Extract<PeConfig, { kind: "sinusoidal" }>;
  const opts = { dim: env.cfg.dModel, base: pe.base };
  return constantTableEncoding(env, "sinusoidal.table", (span) => sinusoidalTable(span, opts), (pos) => sinusoidalTable([pos], opts));
}
