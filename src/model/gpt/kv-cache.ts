/**
 * The engine decoder's memory (engine-decoder.ts): one arena holding the KV cache and the step's
 * activations, planned for B sequences of `slots` tokens and `rows` activation rows.
 *
 * Cache layout (general on purpose, see decode-attention.ts): per layer `k.<l>` and `v.<l>`
 * [B, NH, S, HS] (keys after rotation), a position id per slot `pos` int32 [B, S] and the number of
 * valid slots `lens` int32 [B]. The decoder fills slot t with position t, and after a batch
 * diverges from its common prompt, that prompt's slots are read from sequence 0's slabs only
 * (engine-decoder.ts, the shared prefix: sequences 1…B−1 never write or read them); its rolling cache
 * (engine-rolling-cache.ts: attention sinks + recent tokens) moves slots and rewrites their positions
 * instead (and copies the prompt's slots to every sequence: its ring rewrites them per sequence).
 * Activations [rows, ·]: x, ln, mean, rstd, qkv, att, fc; logits [B, V]; the attention's parameter
 * block, one per layer for the generation step's program (`attn.blocks`, decode-step.ts), the program itself (`program`), and scratch; per-layer head dilations `dilation` [L, NH] (when configured); bias tables `bias.<l>` [NH, S] (bias encodings) and dense rows [NH, rows/B, S] (FIRE).
 */
import type { Engine } from "../../engine/engine.js";
import { DECODE_ATTENTION_PARAM_WORDS, decodeScratchStride } from "../../engine/kernels/decode-attention/decode-attention.js";
import { Arena, planArena, type TensorSpec } from "../../engine/memory/plan.js";
import { ENCODINGS } from "../../pe/encodings.js";
import { headDim, type ModelConfig } from "../config.js";
import { relativeDecodeTensors } from "./xl-decode.js";
import { programWords } from "../../engine/kernels/decode-program/decode-program.js";
import { stepProgramOps } from "./decode-step.js";

export interface KvCacheShape {
  B: number;
  /** Tokens per sequence. */
  slots: number;
  /** Activation rows (B × the prefill chunk). */
  rows: number;
  /** CoPE positions (0 otherwise): the attention scratch holds them too. */
  maxPos: number;
}

const f32 = (name: string, shape: number[]): TensorSpec => ({ name, shape, dtype: "f32" });
const i32 = (name: string, shape: number[]): TensorSpec => ({ name, shape, dtype: "i32" });

/** Whether a step may need dense bias rows (FIRE beyond its threshold): one `dense` buffer, rewritten per layer. */
export function denseBiasRows(cfg: ModelConfig): boolean {
  return cfg.pe.kind === "fire";
}

export class KvCache {
  readonly acts: Arena;
  readonly slots: number;
  readonly scratchStride: number;
  private readonly start: number;
  private readonly end: number;
  private readonly NH: number;
  private readonly HS: number;
  private readonly kPtr: number[];
  private readonly vPtr: number[];
  private heapView: Float32Array | undefined;

  constructor(private readonly engine: Engine, private readonly cfg: ModelConfig, readonly shape: KvCacheShape) {
    const { B, slots: S, rows, maxPos } = shape, C = cfg.dModel, NH = cfg.nHeads, HS = headDim(cfg);
    this.slots = S;
    this.NH = NH;
    this.HS = HS;
    this.scratchStride = decodeScratchStride(S, maxPos);
    const biasTables = ENCODINGS[cfg.pe.kind].family === "bias"; // the registry's bias family: a per-layer bias row per step
    const table: TensorSpec[] = [
      f32("x", [rows, C]), f32("ln", [rows, C]), f32("mean", [rows]), f32("rstd", [rows]), f32("qkv", [rows, 3 * C]),
      f32("att", [rows, C]), ...(cfg.mlp ? [f32("fc", [rows, 4 * C])] : []), f32("logits", [B, cfg.vocabSize]),
      i32("lens", [B]), i32("pos", [B, S]), i32("attn.params", [DECODE_ATTENTION_PARAM_WORDS]),
      i32("attn.blocks", [cfg.nLayers, DECODE_ATTENTION_PARAM_WORDS]), f32("attn.scratch", [B * NH, this.scratchStride]),
      i32("program", [programWords(stepProgramOps(cfg))]),
    ];
    if (biasTables) for (let l = 0; l < cfg.nLayers; l++) table.push(f32(`bias.${l}`, [NH, S]));
    if (cfg.dilation !== null) table.push(i32("dilation", [cfg.nLayers, NH]));
    if (denseBiasRows(cfg)) table.push(f32("dense", [NH, Math.ceil(rows / B), S]));
    table.push(...relativeDecodeTensors(cfg, B, S)); // Transformer-XL: r per layer, the relative kernel's block and scratch (xl-decode.ts)
    for (let l = 0; l < cfg.nLayers; l++) table.push(f32(`k.${l}`, [B, NH, S, HS]), f32(`v.${l}`, [B, NH, S, HS]));
    this.start = engine.mark();
    // the K/V slabs are left as they are: a slot is always written before any kernel reads it, and
    // the slabs' pages (most of the arena) stay out of the resident set until used — with a shared
    // prefix, sequences 1…B−1 never touch the prompt's slots (peak RSS at batch 8, 4k: −7 × 16 MiB)
    this.acts = new Arena(engine, planArena(table), (name) => name.startsWith("k.") || name.startsWith("v."));
    this.end = engine.mark();
    this.kPtr = Array.from({ length: cfg.nLayers }, (_, l) => this.acts.ptr(`k.${l}`));
    this.vPtr = Array.from({ length: cfg.nLayers }, (_, l) => this.acts.ptr(`v.${l}`));
    const pos = this.acts.i32("pos");
    for (let i = 0; i < B * S; i++) pos[i] = i % S;
    if (cfg.dilation !== null) this.acts.i32("dilation").set(cfg.dilation.flat());
  }

  k(l: number): number {
    return this.kPtr[l]!;
  }

  v(l: number): number {
    return this.vPtr[l]!;
  }

  /** lens[b] = t0 + nq for the Bc computed sequences. */
  setLengths(Bc: number, t0: number, nq: number): void {
    this.acts.i32("lens").fill(t0 + nq, 0, Bc);
  }

  /** Copies k and v of the rows [Bc·nq] of `qkv` [rows, 3C] into slots t0…t0+nq−1 of layer l. */
  append(l: number, qkv: number, Bc: number, nq: number, t0: number): void {
    const { NH, HS, slots: S } = this, C = this.cfg.dModel;
    // one view of the whole memory, copyWithin per head: no view or subarray per row
    const heap = this.heap(), src = qkv >> 2, K = this.kPtr[l]! >> 2, V = this.vPtr[l]! >> 2;
    for (let b = 0; b < Bc; b++) for (let r = 0; r < nq; r++) {
      const row = src + (b * nq + r) * 3 * C;
      for (let h = 0; h < NH; h++) {
        const dst = ((b * NH + h) * S + t0 + r) * HS, k = row + C + h * HS, v = row + 2 * C + h * HS;
        heap.copyWithin(K + dst, k, k + HS);
        heap.copyWithin(V + dst, v, v + HS);
      }
    }
  }

  /** Layers of the cache. */
  get layers(): number {
    return this.cfg.nLayers;
  }

  /** Copies slot `from` of layer l (K and V, every head) to slot `to`, for sequences 0 … Bc−1 (the rolling cache's ring). */
  moveSlot(l: number, from: number, to: number, Bc: number): void {
    const { NH, HS, slots: S } = this, heap = this.heap();
    for (const slab of [this.kPtr[l]! >> 2, this.vPtr[l]! >> 2]) {
      for (let bh = 0; bh < Bc * NH; bh++) heap.copyWithin(slab + (bh * S + to) * HS, slab + (bh * S + from) * HS, slab + (bh * S + from + 1) * HS);
    }
  }

  /** Sequence 0's first `len` slots (every layer, positions) copied to sequences 1…B−1 (the rolling cache's shared prefill). */
  copySequence(B: number, len: number): void {
    const { NH, HS, slots: S } = this;
    for (let l = 0; l < this.cfg.nLayers; l++) {
      for (const slab of [this.acts.f32(`k.${l}`), this.acts.f32(`v.${l}`)]) {
        for (let b = 1; b < B; b++) for (let h = 0; h < NH; h++) slab.copyWithin(((b * NH + h) * S) * HS, (h * S) * HS, (h * S + len) * HS);
      }
    }
    const pos = this.acts.i32("pos");
    for (let b = 1; b < B; b++) pos.copyWithin(b * S, 0, len);
  }

  private heap(): Float32Array {
    const buf = this.engine.memory.buffer;
    if (this.heapView?.buffer !== buf) this.heapView = new Float32Array(buf);
    return this.heapView;
  }

  /** A cache of `slots` tokens per sequence holding this one's first `filled` slots (this one is released first). */
  regrow(slots: number, filled = this.shape.slots): KvCache {
    const { NH, HS } = this, S0 = this.slots, keep = Math.min(filled, S0);
    const saved = new Map<string, Float32Array>();
    for (let l = 0; l < this.cfg.nLayers; l++) for (const n of [`k.${l}`, `v.${l}`]) saved.set(n, this.acts.f32(n).slice());
    this.release();
    const next = new KvCache(this.engine, this.cfg, { ...this.shape, slots });
    for (const [n, from] of saved) {
      const to = next.acts.f32(n);
      for (let bh = 0; bh < this.shape.B * NH; bh++) to.set(from.subarray(bh * S0 * HS, (bh * S0 + keep) * HS), bh * slots * HS);
    }
    return next;
  }

  /** Gives the arena back to the engine when nothing was allocated after it. */
  release(): void {
    if (this.engine.mark() === this.end) this.engine.reset(this.start);
  }
}
