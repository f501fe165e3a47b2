/**
 * The LSTM's optional absolute encoding, added to the token embeddings (as the seed intended: its
 * `PositionalEncoding` module adds a table to the embeddings, unscaled; the seed's sketch never called
 * it). The embedding kernel adds row posIds[n] of a position table to token n (the token embedding is
 * multiplied by the config's `embedding.scale` first — 1 by default, √d for "sqrt_d" — the table never is):
 *   - `learned`: the table is the parameter `pos_emb.weight` [tableSize, d]; row = learnedRow(pos)
 *     (beyond the table: clamp to the last row, or refuse, as `pe.beyond_table` says); trained.
 *   - `sinusoidal` / `adaptive`: a fixed table [P, d] in the activation arena whose row r encodes
 *     position `offset + r`, computed once per plan in float64 by src/pe (stored float32).
 *     sinusoidal: interleaved, Vaswani spacing, `pe.base` (the seed's module). adaptive: the seed's
 *     length-adaptive encoding with L = the window length T (the seed's "sequence" reading) — except
 *     when decoding, where the final length is unknown and L = the training context length.
 *   - `none`: no table.
 * Positions: token (b, t) is at `offset + t`, or at batch.positions[b·T + t] (randomized training).
 *
 * Example:
 *   const P = positionTableRows(cfg, T);                      // rows of the fixed table, 0 = none
 *   fillPositionTable(cfg, table, 0, P, T);
 *   writePositionIds(cfg, posIds, B, T, batch.positions, 0, P);
 */
import { adaptiveTableAt } from "../../pe/adaptive.js";
import { ExtraposError, show } from "../../pe/errors.js";
import { learnedRow } from "../../pe/learned.js";
import { sinusoidalTable } from "../../pe/sinusoidal.js";
import type { ModelConfig } from "../config.js";

/** Whether tokens carry position ids into the embedding kernel (every encoding but `none`). */
export function usesPositions(cfg: ModelConfig): boolean {
  return cfg.pe.kind !== "nope";
}

/** Whether the position table lives in the activations (fixed encodings) rather than the parameters. */
export function hasFixedTable(cfg: ModelConfig): boolean {
  return cfg.pe.kind === "sinusoidal" || cfg.pe.kind === "adaptive";
}

/**
 * Rows P of the fixed table for windows of T tokens at offset 0: T, or the randomized maximum length
 * when larger (randomized position ids reach up to it); 0 when the encoding has no fixed table.
 */
export function positionTableRows(cfg: ModelConfig, T: number): number {
  if (cfg.pe.kind === "sinusoidal") return Math.max(T, cfg.pe.randomized?.maxLength ?? 0);
  if (cfg.pe.kind === "adaptive") return T;
  return 0;
}

/** Fills the fixed table [P, d]: row r = encoding of position offset + r (adaptive: normalised by L). */
export function fillPositionTable(cfg: ModelConfig, out: Float32Array, offset: number, P: number, L: number): void {
  const positions = Array.from({ length: P }, (_, r) => offset + r);
  const d = cfg.dModel;
  if (cfg.pe.kind === "sinusoidal") out.set(sinusoidalTable(positions, { dim: d, base: cfg.pe.base, layout: "interleaved", spacing: "vaswani" }));
  else if (cfg.pe.kind === "adaptive") out.set(adaptiveTableAt(positions, L, { dim: d, layout: "interleaved", minPeriod: cfg.pe.minPeriod }));
  else throw new ExtraposError("internal", `pe "${cfg.pe.kind}" has no fixed position table`);
}

/**
 * Writes the time-major position ids posIds[t·B + b] of a [B, T] window: the table row of token (b, t)'s
 * position (`positions[b·T + t]` if given, else offset + t). Fixed tables hold positions offset … offset+P−1;
 * a position outside is refused (it would read another row).
 */
export function writePositionIds(
  cfg: ModelConfig, out: Int32Array, B: number, T: number, positions: Int32Array | undefined, offset: number, P: number,
): void {
  const pe = cfg.pe;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const pos = positions === undefined ? offset + t : positions[b * T + t]!;
      let row: number;
      if (pe.kind === "learned") {
        row = learnedRow(pos, pe.tableSize, pe.beyondTable);
      } else {
        row = pos - offset;
        if (!(Number.isInteger(row) && row >= 0 && row < P)) {
          throw new ExtraposError("invalid_argument", `\`batch.positions\` must hold integers in [${offset}, ${offset + P}) for pe "${pe.kind}", got ${show(pos)} at [${b}, ${t}]`,
            pe.kind === "sinusoidal" ? "set `pe.randomized.max_length` to cover the sampled positions" : undefined);
        }
      }
      out[t * B + b] = row;
    }
  }
}
