/**
 * The LSTM's activation memory: one planned arena (src/engine/memory/plan.ts) per window shape, placed
 * above the training state (parameters, gradients, AdamW m and v, allocated once by the model).
 *
 * Two plans, both TIME-MAJOR (row t·B + b; see layer.ts):
 *   "train" (forwardBackward): every layer's input projection (reused as dPre), gates, cell and hidden
 *     states for all T steps (BPTT needs them), the gradient ping-pong dA/dB [N, d] and one step's dc.
 *   "eval" (nll, decoding): forward only — one input projection [N, 4H] shared by the layers, one step
 *     of gates, two alternating cell states [B, H], two alternating hidden sequences [N, H], and the
 *     initial state [layers, B, H] a decoder resumes from. About 3× less than "train" per layer.
 * Both: ids, targets, position ids [N] (int32), the fixed position table [P, d] (sinusoidal/adaptive),
 * the embeddings [N, d], per-token losses [N] and a logits chunk [R, V]: the head and the loss run over
 * R rows at a time (R·V ≤ HEAD_CHUNK_ELEMENTS), so a long window never needs an [N, V] buffer.
 *
 * A new shape replaces the arena (memory is reset to where the old arena began, so alternating
 * training and evaluation does not grow memory); the same shape reuses it — a steady-state step
 * allocates nothing. If something else allocated on the engine after our arena, the new arena goes on
 * top instead (never freeing another owner's memory).
 *
 * Example:
 *   const ws = new Workspace(engine, cfg);
 *   const a = ws.acquire("train", B, T);   // a.ptr("lstm.0.gates") …
 */
import type { Engine } from "../../engine/engine.js";
import { Arena, planArena, type TensorSpec } from "../../engine/memory/plan.js";
import type { ModelConfig } from "../config.js";
import { fillPositionTable, hasFixedTable, positionTableRows, usesPositions } from "./positions.js";

export type PlanMode = "train" | "eval";

/** Upper bound on the elements of the logits chunk [R, V] (16 MiB of float32). */
export const HEAD_CHUNK_ELEMENTS = 1 << 22;

/** Rows R of the logits chunk for N tokens and vocabulary V. */
export function headChunkRows(N: number, V: number): number {
  return Math.max(1, Math.min(N, Math.floor(HEAD_CHUNK_ELEMENTS / V)));
}

/** The activation tensor table of a [B, T] window (names used by model.ts and decoder.ts). */
export function activationTable(cfg: ModelConfig, mode: PlanMode, B: number, T: number, tableRows: number): TensorSpec[] {
  const N = B * T, d = cfg.dModel, H = d, V = cfg.vocabSize, L = cfg.nLayers;
  const f = (name: string, ...shape: number[]): TensorSpec => ({ name, shape, dtype: "f32" });
  const i = (name: string, ...shape: number[]): TensorSpec => ({ name, shape, dtype: "i32" });
  const t: TensorSpec[] = [i("ids", N), i("targets", N)];
  if (usesPositions(cfg)) t.push(i("pos_ids", N));
  if (hasFixedTable(cfg)) t.push(f("pos_table", tableRows, d));
  t.push(f("x0", N, d), f("pre_hh", B, 4 * H), f("logits", headChunkRows(N, V), V), f("losses", N));
  if (mode === "train") {
    for (let l = 0; l < L; l++) t.push(f(`lstm.${l}.pre_ih`, N, 4 * H), f(`lstm.${l}.gates`, N, 4 * H), f(`lstm.${l}.c`, N, H), f(`lstm.${l}.h`, N, H));
    t.push(f("dc", B, H), f("dA", N, d), f("dB", N, d));
  } else {
    t.push(f("pre_ih", N, 4 * H), f("gates", B, 4 * H), f("c.0", B, H), f("c.1", B, H), f("h.0", N, H), f("h.1", N, H));
    t.push(f("state.h", L, B, H), f("state.c", L, B, H));
  }
  return t;
}

interface Current {
  key: string;
  arena: Arena;
  /** Engine allocation top right before this arena (where a release resets to). */
  start: number;
  /** Engine allocation top right after this arena (to know whether it is still the last allocation). */
  end: number;
  /** What the fixed position table holds: positions offset … offset+rows−1, normalised by L. */
  table: { offset: number; L: number } | null;
}

export class Workspace {
  private readonly engine: Engine;
  private readonly cfg: ModelConfig;
  private current: Current | null = null;

  constructor(engine: Engine, cfg: ModelConfig) {
    this.engine = engine;
    this.cfg = cfg;
  }

  /** The arena for `mode` at [B, T] (planned and allocated only when the shape or mode changes). */
  acquire(mode: PlanMode, B: number, T: number): Arena {
    const key = `${mode}:${B}:${T}`;
    if (this.current?.key === key) return this.current.arena;
    this.release();
    const start = this.engine.mark();
    const plan = planArena(activationTable(this.cfg, mode, B, T, positionTableRows(this.cfg, T)));
    const arena = new Arena(this.engine, plan);
    this.current = { key, arena, start, end: this.engine.mark(), table: null };
    return arena;
  }

  /**
   * Makes the fixed position table of the current arena hold positions offset … offset+rows−1 (adaptive:
   * normalised by L); recomputed only when (offset, L) changed. No-op for encodings without a fixed table.
   */
  ensureTable(offset: number, L: number): void {
    const cur = this.current;
    if (cur === null || !hasFixedTable(this.cfg)) return;
    if (cur.table !== null && cur.table.offset === offset && cur.table.L === L) return;
    const t = cur.arena.tensor("pos_table");
    fillPositionTable(this.cfg, cur.arena.f32("pos_table"), offset, t.shape[0]!, L);
    cur.table = { offset, L };
  }

  /** Frees the activations if they are still the engine's last allocation (and resets to where they began). */
  release(): void {
    if (this.current !== null && this.engine.mark() === this.current.end) this.engine.reset(this.current.start);
    this.current = null;
  }

  /** Rows of the current arena's fixed position table (0 when none). */
  tableRows(): number {
    const t = this.current?.arena.plan.byName.get("pos_table");
    return t === undefined ? 0 : t.shape[0]!;
  }
}
