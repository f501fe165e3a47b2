/**
 * The engine decoder's hot path (engine-decoder.ts): one generation step — one new token for each of
 * Bc sequences — as a program of kernel calls (kernels/decode-program: ln1, qkv, KV append,
 * attention, proj with the residual add as its epilogue, ln2, fc with GELU as its epilogue, mlp proj
 * with the residual add — an attention-only layer (`mlp: false`) stops after the proj; ln_f and the tied head) whose buffers, shapes and arguments are checked and
 * written ONCE (the plan), then run from one wasm entry per step: at the tiny model's sizes a step is
 * ~35 kernels of a few microseconds each, so one JavaScript call and one pool dispatch per kernel
 * used to cost a large part of the step. Where the decoder's JavaScript must run inside a layer
 * (rotary hooks, a rolling cache's capture, Transformer-XL's attention, FIRE's dense bias rows) the
 * program runs in segments around it (`beforeAttention`, `attentionAndAfter`, `afterAttention`).
 *
 * The kernels, their arguments and their order are those of the checked path (the epilogues are the
 * same element-wise operations as the separate kernels), so the bytes are the same; the decoder's
 * tests compare both paths' logits.
 *
 * Thread policy (`fine`), two of them, picked per step by timing (split-tuner.ts; the same bytes
 * either way): coarse — an op is cut into chunks (one per thread) only when every chunk is at least
 * SPLIT_MIN_MACS multiply-adds; fine — into two chunks per thread of at least PROGRAM_SPLIT_MIN_MACS
 * when every thread runs the program (a hand-off is an atomic counter in shared memory; see
 * decode-program.ts), of FINE_SPLIT_MIN_MACS otherwise, with the workers kept spinning between
 * steps. A program range where no op has two chunks runs on the calling thread alone. Attention
 * splits by (sequence, head); the linear layers by output channels (multiples of 4: the same bytes
 * for any split, see matvec.ts); layer norms and the KV append never.
 *
 * A plan is valid for one cache (its arena's pointers) and one Bc; the decoder drops it when the cache
 * regrows. The per-layer attention parameter blocks (`attn.blocks` [L, words]) are rewritten only when
 * the layer's bias changes form (FIRE's table → dense rows) — `lens` and the append's slot, read by
 * the kernels from memory, are the only things a step changes.
 */
import type { Engine } from "../../engine/engine.js";
import { ExtraposError } from "../../pe/errors.js";
import { DECODE_ATTENTION_PARAM_WORDS, writeDecodeAttentionParams, type DecodeAttentionCall } from "../../engine/kernels/decode-attention/decode-attention.js";
import { DecodeProgram, PROGRAM_SPIN_US, type ProgramOp } from "../../engine/kernels/decode-program/decode-program.js";
import { DEFAULT_LAYERNORM_EPS } from "../../engine/kernels/layernorm/layernorm.js";
import { matvecRows } from "../../engine/kernels/matvec/matvec.js";
import { layerNormForward } from "../../engine/kernels/layernorm/layernorm.js";
import { geluForward } from "../../engine/kernels/gelu/gelu.js";
import { residualForward } from "../../engine/kernels/residual/residual.js";
import type { Arena } from "../../engine/memory/plan.js";
import { headDim, type ModelConfig } from "../config.js";
import { FINE_WORKER_SPIN } from "./split-tuner.js";
import type { KvCache } from "./kv-cache.js";

/** Smallest share of a split kernel, in multiply-adds per thread (coarse policy). */
export const SPLIT_MIN_MACS = 262144;
/**
 * The fine policy's smallest share where each op is its own pool dispatch (engines whose threads do
 * not run the program at once): 64 KiB of float32 weights, ≈ 2 µs of streaming from L3 — twice a
 * dispatch to a spinning worker.
 */
export const FINE_SPLIT_MIN_MACS = 16384;

/**
 * The grain that cuts n units (`macsPerUnit` multiply-adds each) into `perThread` chunks per thread,
 * multiples of `align`, none below `minMacs`; 1 << 30 (one chunk) when that leaves one chunk only.
 */
export function chunkGrain(engine: Engine, n: number, macsPerUnit: number, align = 1, minMacs = SPLIT_MIN_MACS, perThread = 1): number {
  if (engine.threads === 1) return 1 << 30;
  const min = engine.minValuesPerThread === 0 ? 0 : minMacs;
  const units = Math.max(1, Math.ceil(min / Math.max(1, macsPerUnit)));
  const grain = Math.ceil(Math.max(units, Math.ceil(n / (perThread * engine.threads))) / align) * align;
  return grain >= n ? 1 << 30 : grain;
}

/** The program's ops per layer: ln1, qkv, KV append, attention, proj (+ x), ln2, fc (+ GELU), mlp proj (+ x); then ln_f, head. */
export const OPS_PER_LAYER = 8;
/** The ops per attention-only layer (`mlp: false`): ln1, qkv, KV append, attention, proj (+ x) — no ln2, fc or mlp proj. */
export const ATTENTION_ONLY_OPS_PER_LAYER = 5;
const QKV = 1, ATTENTION = 3, PROJ = 4;

/** The program's ops per layer of `cfg`. */
export function opsPerLayer(cfg: ModelConfig): number {
  return cfg.mlp ? OPS_PER_LAYER : ATTENTION_ONLY_OPS_PER_LAYER;
}

/** Ops of a step's program for `cfg` (kv-cache.ts plans its words). */
export function stepProgramOps(cfg: ModelConfig): number {
  return opsPerLayer(cfg) * cfg.nLayers + 2;
}

/**
 * The program's smallest chunk under the fine policy when every thread runs the whole program (a
 * hand-off is an atomic counter in shared memory, well under a microsecond): 4096 multiply-adds.
 */
export const PROGRAM_SPLIT_MIN_MACS = 4096;
/** Chunks per thread under the fine policy: a thread that finished its part takes a late one's. */
const FINE_CHUNKS_PER_THREAD = 2;

export class StepPlan {
  private readonly program: DecodeProgram;
  /** Per op: its grain under the coarse and the fine policy (matvec ops; attention's follow the length). */
  private readonly grains: { op: number; coarse: number; fine: number }[] = [];
  private readonly keys: string[];
  private readonly ops: number;
  /** Ops per layer (opsPerLayer). */
  private readonly perLayer: number;
  private fineNow = false;
  private attentionGrain = 0;

  /** Builds the calls for `Bc` sequences on `cache`'s buffers and checks them once (`verify`). */
  constructor(private readonly engine: Engine, private readonly cfg: ModelConfig, params: Arena, private readonly cache: KvCache, readonly Bc: number) {
    const C = cfg.dModel, R = Bc, a = cache.acts, eps = DEFAULT_LAYERNORM_EPS, NH = cfg.nHeads, HS = headDim(cfg);
    const x = a.ptr("x"), ln = a.ptr("ln"), mean = a.ptr("mean"), rstd = a.ptr("rstd"), qkv = a.ptr("qkv"), att = a.ptr("att");
    const ops: ProgramOp[] = [];
    this.perLayer = opsPerLayer(cfg);
    const lin = (out: number, inp: number, name: string, IN: number, OUT: number, epilogue?: { gelu: true } | { accumulate: number }): ProgramOp => {
      const macs = IN * R;
      this.grains.push({ op: ops.length, coarse: chunkGrain(engine, OUT, macs, 4), fine: chunkGrain(engine, OUT, macs, 4, this.fineMin(), FINE_CHUNKS_PER_THREAD) });
      return { kind: "matvec", args: [out, inp, params.ptr(`${name}.weight`), name === "tok_emb" ? 0 : params.ptr(`${name}.bias`), R, IN, OUT], grain: 1 << 30, ...(epilogue ? { epilogue } : {}) };
    };
    for (let l = 0; l < cfg.nLayers; l++) {
      const w = (s: string): number => params.ptr(`blocks.${l}.${s}`);
      ops.push({ kind: "layerNorm", rows: R, args: [ln, mean, rstd, x, w("ln1.weight"), w("ln1.bias"), C, eps] });
      ops.push(lin(qkv, ln, `blocks.${l}.attn.qkv`, C, 3 * C));
      ops.push({ kind: "append", qkv, k: cache.k(l), v: cache.v(l), B: Bc, NH, S: cache.slots, HS, C, grain: 1 << 30 });
      ops.push({ kind: "attention", block: a.ptr("attn.blocks") + 4 * l * DECODE_ATTENTION_PARAM_WORDS, units: Bc * NH, grain: 1 << 30 });
      ops.push(lin(ln, att, `blocks.${l}.attn.proj`, C, C, { accumulate: x }));
      if (!cfg.mlp) continue; // attention-only layer: its output is x after the proj's residual add
      const fc = a.ptr("fc");
      ops.push({ kind: "layerNorm", rows: R, args: [ln, mean, rstd, x, w("ln2.weight"), w("ln2.bias"), C, eps] });
      ops.push(lin(fc, ln, `blocks.${l}.mlp.fc`, C, 4 * C, { gelu: true }));
      ops.push(lin(ln, fc, `blocks.${l}.mlp.proj`, 4 * C, C, { accumulate: x }));
    }
    ops.push({ kind: "layerNorm", rows: R, args: [ln, mean, rstd, x, params.ptr("ln_f.weight"), params.ptr("ln_f.bias"), C, eps] });
    ops.push(lin(a.ptr("logits"), ln, "tok_emb", C, cfg.vocabSize));
    this.ops = ops.length;
    if (this.ops !== stepProgramOps(cfg)) throw new ExtraposError("internal", `decode step plan: ${this.ops} ops, stepProgramOps says ${stepProgramOps(cfg)}`);
    this.keys = new Array<string>(cfg.nLayers).fill("");
    this.verify(ops);
    this.program = new DecodeProgram(engine, a.ptr("program"), ops);
    this.fine = false;
  }

  /** The fine policy's smallest chunk: an atomic counter when every thread runs the program, a pool dispatch otherwise. */
  private fineMin(): number {
    return this.engine.concurrent === true ? PROGRAM_SPLIT_MIN_MACS : FINE_SPLIT_MIN_MACS;
  }

  /** The thread policy of the next calls: false = coarse, true = fine (set by the decoder's SplitTuner). */
  get fine(): boolean {
    return this.fineNow;
  }

  set fine(fine: boolean) {
    this.fineNow = fine;
    this.program.setSpin(fine ? FINE_WORKER_SPIN : PROGRAM_SPIN_US);
    for (const g of this.grains) this.program.setGrain(g.op, fine ? g.fine : g.coarse);
  }

  /** Runs every call's checked glue once on the planned buffers (the checks the replay skips). */
  private verify(ops: readonly ProgramOp[]): void {
    const e = this.engine;
    for (const op of ops) {
      if (op.kind === "matvec") {
        const [y, x, w, b, R, IN, OUT] = op.args;
        matvecRows(e, y, x, w, b, R, IN, OUT);
        if (op.epilogue !== undefined && "accumulate" in op.epilogue) residualForward(e, op.epilogue.accumulate, op.epilogue.accumulate, y, R * OUT);
        if (op.epilogue !== undefined && "gelu" in op.epilogue) geluForward(e, y, y, R * OUT);
      } else if (op.kind === "layerNorm") {
        const [out, mean, rstd, inp, w, b, C, eps] = op.args;
        layerNormForward(e, out, mean, rstd, inp, w, b, op.rows, C, eps);
      }
    }
  }

  /**
   * Layer l's attention for this step: (re)writes its parameter block when the bias form changed
   * (`key` names the form: kind and pointer; `call` builds the call only then), and its split for
   * `len` cached keys (the same for every layer of a step).
   */
  prepareAttention(l: number, key: string, call: () => DecodeAttentionCall, len: number): void {
    if (this.keys[l] !== key) {
      writeDecodeAttentionParams(this.engine, this.cache.acts.ptr("attn.blocks") + 4 * l * DECODE_ATTENTION_PARAM_WORDS, call());
      this.keys[l] = key;
    }
    const HS = headDim(this.cfg);
    const grain = this.fineNow
      ? chunkGrain(this.engine, this.Bc * this.cfg.nHeads, 2 * len * HS, 1, this.fineMin(), FINE_CHUNKS_PER_THREAD)
      : chunkGrain(this.engine, this.Bc * this.cfg.nHeads, 2 * len * HS, 1);
    if (grain !== this.attentionGrain) {
      this.attentionGrain = grain;
      for (let i = 0; i < this.cfg.nLayers; i++) this.program.setGrain(i * this.perLayer + ATTENTION, grain);
    }
  }

  /** The step's slot (the KV append's destination). */
  setSlot(slot: number): void {
    this.program.setSlot(slot);
  }

  /** The whole step in one run: every layer (appending k, v in the program) and the logits. */
  all(): void {
    this.program.run(0, this.ops);
  }

  /** ln1 → qkv of layer l (the step's input rows in `x`). */
  beforeAttention(l: number): void {
    this.program.run(l * this.perLayer, l * this.perLayer + QKV + 1);
  }

  /** Layer l's attention (k, v already appended) then proj + residual → ln2 → fc → gelu → proj + residual (attention only: up to the first residual). */
  attentionAndAfter(l: number): void {
    this.program.run(l * this.perLayer + ATTENTION, (l + 1) * this.perLayer);
  }

  /** proj + residual → ln2 → fc → gelu → proj + residual of layer l (its attention output in `att`; attention only: proj + residual). */
  afterAttention(l: number): void {
    this.program.run(l * this.perLayer + PROJ, (l + 1) * this.perLayer);
  }

  /** ln_f → tied head: logits [Bc, V] in the cache's `logits`. */
  logits(): void {
    this.program.run(this.ops - 2, this.ops);
  }
}
