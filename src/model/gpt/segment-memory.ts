/**
 * Transformer-XL's segment-level recurrence in the engine model (Dai et al. 2019 §3.2; reference
 * kimiyoung/transformer-xl pytorch/mem_transformer.py `MemTransformerLM._forward` / `_update_mems`,
 * `RelPartialLearnableMultiHeadAttn.forward` with `mems` and `pre_lnorm=True`).
 *
 * The memory of layer l holds the INPUTS of block l (the residual stream entering it) over the last
 * m ≤ M = `pe.mem_len` positions of the previous segments, per batch row (lane): [B, m, C] float32.
 * In a forward with memory, block l computes keys and values over [mem_l; h_l] with its CURRENT weights
 * (LN1, then the qkv linear: the reference's `qkv_net(layer_norm(cat([mems, w])))`), queries over h_l only,
 * and runs the relative attention with M = m memory rows (klen = m + T; causal j ≤ m + i). The memory
 * is stop-gradient: the memory rows' key/value gradients reach the weights that computed them (LN1, qkv)
 * but not the memory (`segmentKeyGradients`).
 * After the forward, the memory of layer l becomes the last min(M, m + T) rows of [mem_l; h_l]
 * (`_update_mems` with ext_len 0): `captureMemory` takes them at the start of each block, before an
 * evaluation pass overwrites its input in place.
 *
 * Plan buffers (with m > 0; acts.ts names them through `memoryTensors`): `kf`, `vf` [B, NH, m + T, HS]
 * (memory rows first; per layer `<l>.kf` in training plans, kept for the backward), the memory rows'
 * scratch `mem.x`, `mem.ln` [B, m, C], `mem.mean`, `mem.rstd` [B, m], `mem.qkv` [B, m, 3C], `mem.q/k/v`
 * [B, NH, m, HS], and in training plans `d.kf`, `d.vf` [B, NH, m + T, HS], `d.mem.ln`, `d.mem.x` [B, m, C]
 * (the backward reuses `mem.qkv` for its gradient).
 *
 * Example: `const mp = memoryPass(current, memLen, B)` → forward (blockForward calls `captureMemory` and
 * `memoryKeysValues`) → `current = commitMemory(mp)`.
 */
import { layerNormBackward, layerNormForward } from "../../engine/kernels/layernorm/layernorm.js";
import { linearBackward, linearForward } from "../../engine/kernels/matmul/matmul.js";
import { qkvRopeBackward, qkvRopeForward } from "../../engine/kernels/qkv-rope/qkv-rope.js";
import type { TensorSpec } from "../../engine/memory/plan.js";
import { ExtraposError, show } from "../../pe/errors.js";
import { headDim, segmentMemoryLength, type ModelConfig } from "../config.js";
import type { NamedTensor } from "../lm.js";
import type { Pass, PlanShape } from "./encodings/types.js";
import type { ModelParts } from "./block.js";

/** The memory of one stream of batches: per layer [B, rows, C] (rows = 0: empty). */
export interface SegmentMemory {
  B: number;
  rows: number;
  layers: Float32Array[];
}

/** The memory a forward reads (`current`) and the one it builds (`next`, filled layer by layer). */
export interface MemoryPass {
  current: SegmentMemory;
  /** M: rows kept after the forward. */
  memLen: number;
  next: Float32Array[];
  nextRows: number;
}


/** An empty memory for B rows. */
export function emptyMemory(B: number, layers: number): SegmentMemory {
  return { B, rows: 0, layers: Array.from({ length: layers }, () => new Float32Array(0)) };
}

/** The pass over `current` (kept when the batch continues it with the same B, else emptied), keeping `memLen` rows. */
export function memoryPass(current: SegmentMemory | null, continues: boolean, B: number, T: number, cfg: ModelConfig, memLen = segmentMemoryLength(cfg)): MemoryPass {
  const cur = current !== null && continues && current.B === B ? current : emptyMemory(B, cfg.nLayers);
  const nextRows = Math.min(memLen, cur.rows + T);
  return { current: cur, memLen, next: Array.from({ length: cfg.nLayers }, () => new Float32Array(B * nextRows * cfg.dModel)), nextRows };
}

export function commitMemory(mp: MemoryPass): SegmentMemory {
  return { B: mp.current.B, rows: mp.nextRows, layers: mp.next };
}

/** `mem` when every value is finite, else null (an empty memory): NaN or Inf in a memory would reach every later segment. */
export function finiteOrNone(mem: SegmentMemory): SegmentMemory | null {
  for (const layer of mem.layers) for (let i = 0; i < layer.length; i++) if (!Number.isFinite(layer[i]!)) return null;
  return mem;
}

/** Extra plan tensors for m > 0 memory rows (see the file header). */
export function memoryTensors(cfg: ModelConfig, s: PlanShape): TensorSpec[] {
  const m = s.memory ?? 0;
  if (m === 0) return [];
  const { B, T } = s, C = cfg.dModel, NH = cfg.nHeads, HS = headDim(cfg), K = m + T;
  const f32 = (name: string, shape: number[]): TensorSpec => ({ name, shape, dtype: "f32" });
  const kv = s.training ? Array.from({ length: cfg.nLayers }, (_, l) => [f32(`${l}.kf`, [B, NH, K, HS]), f32(`${l}.vf`, [B, NH, K, HS])]).flat() : [f32("kf", [B, NH, K, HS]), f32("vf", [B, NH, K, HS])];
  return [
    ...kv, f32("mem.x", [B, m, C]), f32("mem.ln", [B, m, C]), f32("mem.mean", [B, m]), f32("mem.rstd", [B, m]), f32("mem.qkv", [B, m, 3 * C]),
    f32("mem.q", [B, NH, m, HS]), f32("mem.k", [B, NH, m, HS]), f32("mem.v", [B, NH, m, HS]),
    ...(s.training ? [f32("d.kf", [B, NH, K, HS]), f32("d.vf", [B, NH, K, HS]), f32("d.mem.ln", [B, m, C]), f32("d.mem.x", [B, m, C])] : []),
  ];
}

/** Next memory of layer l: the last `nextRows` rows of [mem_l; input] per batch row (input [B, T, C] in the arena). */
export function captureMemory(m: ModelParts, pass: Pass, l: number, input: string): void {
  const mp = pass.memory;
  if (mp === null) return;
  const { B, T } = pass.shape, C = m.cfg.dModel, rows = mp.current.rows, keep = mp.nextRows;
  const x = pass.acts.f32(input), old = mp.current.layers[l]!, out = mp.next[l]!;
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < keep; r++) {
      const src = rows + T - keep + r; // row of [mem; input]
      const from = src < rows ? old.subarray((b * rows + src) * C, (b * rows + src + 1) * C) : x.subarray((b * T + src - rows) * C, (b * T + src - rows + 1) * C);
      out.set(from, (b * keep + r) * C);
    }
  }
}

/**
 * Keys and values of block l over [mem_l; h_l] into `kf`, `vf` [B, NH, m + T, HS]: the memory rows through
 * LN1 and the qkv linear (current weights), then the segment's own k, v (already in the arena).
 */
export function memoryKeysValues(m: ModelParts, pass: Pass, l: number, k: string, v: string, kf: string, vf: string): void {
  const mp = pass.memory!, mRows = mp.current.rows, { engine: e, cfg } = m, a = pass.acts;
  const { B, T } = pass.shape, C = cfg.dModel, NH = cfg.nHeads, HS = headDim(cfg), K = mRows + T;
  const w = (s: string): number => m.params.ptr(`blocks.${l}.${s}`);
  a.f32("mem.x").set(mp.current.layers[l]!);
  layerNormForward(e, a.ptr("mem.ln"), a.ptr("mem.mean"), a.ptr("mem.rstd"), a.ptr("mem.x"), w("ln1.weight"), w("ln1.bias"), B * mRows, C);
  linearForward(e, a.ref("mem.qkv"), a.ref("mem.ln"), m.params.ref(`blocks.${l}.attn.qkv.weight`), m.params.ref(`blocks.${l}.attn.qkv.bias`));
  qkvRopeForward(e, a.ptr("mem.q"), a.ptr("mem.k"), a.ptr("mem.v"), a.ptr("mem.qkv"), { B, T: mRows, NH, HS }, null, null);
  for (const [mem, seg, full] of [["mem.k", k, kf], ["mem.v", v, vf]] as const) {
    const mv = a.f32(mem), sv = a.f32(seg), fv = a.f32(full);
    for (let bh = 0; bh < B * NH; bh++) {
      fv.set(mv.subarray(bh * mRows * HS, (bh + 1) * mRows * HS), bh * K * HS);
      fv.set(sv.subarray(bh * T * HS, (bh + 1) * T * HS), (bh * K + mRows) * HS);
    }
  }
}

/**
 * After block l's attention backward over [memory; segment] (d kf, d vf): d k, d v [B, NH, T, HS] ← the segment
 * rows; the memory rows' d k, d v flow back through the qkv linear and LN1 into those layers' PARAMETER gradients
 * (the keys and values of the memory are computed with the current weights, as in the reference), but not into
 * the memory itself (stop-gradient: `mems` are detached). The memory rows' LN1 is recomputed (same bytes).
 */
export function segmentKeyGradients(m: ModelParts, pass: Pass, l: number, dk: string, dv: string): void {
  const mp = pass.memory!, mRows = mp.current.rows, { engine: e, cfg } = m, a = pass.acts;
  const { B, T } = pass.shape, C = cfg.dModel, NH = cfg.nHeads, HS = headDim(cfg), K = mRows + T;
  const w = (s: string): number => m.params.ptr(`blocks.${l}.${s}`), gw = (s: string): number => m.grads.ptr(`blocks.${l}.${s}`);
  for (const [full, seg, mem] of [["d.kf", dk, "mem.k"], ["d.vf", dv, "mem.v"]] as const) {
    const fv = a.f32(full), sv = a.f32(seg), mv = a.f32(mem);
    for (let bh = 0; bh < B * NH; bh++) {
      sv.set(fv.subarray((bh * K + mRows) * HS, (bh + 1) * K * HS), bh * T * HS);
      mv.set(fv.subarray(bh * K * HS, (bh * K + mRows) * HS), bh * mRows * HS);
    }
  }
  a.f32("mem.q").fill(0); // the memory rows ask no query
  a.f32("mem.x").set(mp.current.layers[l]!);
  layerNormForward(e, a.ptr("mem.ln"), a.ptr("mem.mean"), a.ptr("mem.rstd"), a.ptr("mem.x"), w("ln1.weight"), w("ln1.bias"), B * mRows, C);
  qkvRopeBackward(e, a.ptr("mem.qkv"), a.ptr("mem.q"), a.ptr("mem.k"), a.ptr("mem.v"), { B, T: mRows, NH, HS }, null, null);
  linearBackward(e, a.ref("d.mem.ln"), m.grads.ref(`blocks.${l}.attn.qkv.weight`), m.grads.ref(`blocks.${l}.attn.qkv.bias`), a.ref("mem.qkv"), a.ref("mem.ln"), m.params.ref(`blocks.${l}.attn.qkv.weight`));
  a.f32("d.mem.x").fill(0);
  layerNormBackward(e, a.ptr("d.mem.x"), gw("ln1.weight"), gw("ln1.bias"), a.ptr("d.mem.ln"), a.ptr("mem.x"), w("ln1.weight"), a.ptr("mem.mean"), a.ptr("mem.rstd"), B * mRows, C);
}

/** The memory as named copies `mem.<layer>` [B, rows, C] ([] when empty). */
export function memoryTensorsOf(mem: SegmentMemory | null, C: number): NamedTensor[] {
  if (mem === null || mem.rows === 0) return [];
  return mem.layers.map((d, l) => ({ name: `mem.${l}`, shape: [mem.B, mem.rows, C], data: Float32Array.from(d) }));
}

/** The memory from `memoryTensorsOf`'s tensors, validated against the model (null when empty). */
export function memoryFromTensors(tensors: readonly NamedTensor[], cfg: ModelConfig): SegmentMemory | null {
  if (tensors.length === 0) return null;
  const M = segmentMemoryLength(cfg), C = cfg.dModel, first = tensors[0]!.shape;
  const [B, rows] = [first[0] ?? 0, first[1] ?? 0];
  if (tensors.length !== cfg.nLayers || !(Number.isInteger(B) && B >= 1 && Number.isInteger(rows) && rows >= 1 && rows <= M)) {
    throw new ExtraposError("shape_mismatch", `segment memory: expected ${cfg.nLayers} tensors mem.<layer> [B, 1…mem_len ${M}, ${C}], got ${tensors.length} of shape ${show(first)}`);
  }
  const layers = tensors.map((t, l) => {
    if (t.name !== `mem.${l}` || t.shape.length !== 3 || t.shape[0] !== B || t.shape[1] !== rows || t.shape[2] !== C || t.data.length !== B * rows * C) {
      throw new ExtraposError("shape_mismatch", `segment memory tensor ${l}: expected mem.${l} [${B}, ${rows}, ${C}], got ${t.name} ${show(t.shape)}`);
    }
    return Float32Array.from(t.data);
  });
  return { B, rows, layers };
}
