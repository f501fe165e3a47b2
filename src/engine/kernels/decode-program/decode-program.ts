/**
 * decodeProgram: the kernel calls of a decoding step written ONCE into wasm memory as a list of ops
 * (layer norm, matrix–vector product with an optional GELU or residual-add epilogue, KV append,
 * attention), then run from ONE entry per step (or per segment between JavaScript hooks) instead of
 * one JavaScript → wasm call and one pool dispatch per kernel — at the tiny model's sizes a step is
 * ~35 kernels of a few microseconds each.
 *
 * Threads: with a pool (`Engine.concurrent`), every thread runs the program at once. Each op's range
 * is cut into chunks of its `grain` units; the threads claim chunks with an atomic counter, count the
 * finished ones, and start a chunk of op i only when every chunk of op i − 1 is finished (so every
 * earlier op is: no op overwrites what a running one reads). Every kernel gives the same bytes for any
 * split (matvec: chunks are multiples of 4 outputs), so who computes which chunk changes no byte —
 * and a worker the OS did not schedule in time leaves its chunks to the calling thread instead of
 * holding it up (a fixed split with barriers waited a time slice for it on a busy machine); an op of
 * one chunk is always the calling thread's. A wait
 * spins for `setSpin` µs, then sleeps in atomic.wait (woken by whoever finishes the op). A range of
 * ops none of which has two chunks runs on the calling thread alone (no worker is woken). Engines
 * whose parallelFor runs the threads' ranges one after another (kernels/testing.ts SplitEngine) get
 * the same ops as one `parallelFor` per kernel instead (`run`), the epilogues as separate calls.
 *
 * Epilogues (same operations, same bytes as the separate kernels): `gelu` y = gelu(y) on the op's
 * output chunk; `accumulate` acc += y (the residual stream: residualForward(acc, acc, y)).
 *
 * Layout (int32 words at `ptr`, `programWords(ops)`): a header of PROGRAM_HEADER_WORDS (word 0 the
 * sleeping threads, 16 the KV append's slot (`setSlot`), 17 the spin in µs (`setSpin`)); then
 * PROGRAM_OP_WORDS per op (kind, flags, n, grain, arguments); then each op's two counters (claimed,
 * finished chunks) on a cache line of its own. Accumulate rule: every op `=` except the `accumulate`
 * epilogue (`+=`).
 *
 * Example: `const prog = new DecodeProgram(engine, ptr, ops); prog.setSlot(t); prog.run(0, ops.length);`
 */
import { ExtraposError } from "../../../pe/errors.js";
import type { Engine } from "../../engine.js";
import { checkBuffer } from "../checks.js";
import { DECODE_ATTENTION_PARAM_WORDS, decodeScratchStride, writeDecodeAttentionParams } from "../decode-attention/decode-attention.js";
import {
  DECODE_ATTENTION, DECODE_PROGRAM, GELU_FORWARD, LAYERNORM_FORWARD, MATVEC_ROWS, RESIDUAL_FORWARD,
  type LayerNormForwardArgs, type MatvecRowsArgs,
} from "../names.js";

export const PROGRAM_HEADER_WORDS = 32;
export const PROGRAM_OP_WORDS = 16;
const H_SLOT = 16;
const H_SPIN = 17;
/** Default wait spin (µs) before a thread sleeps: longer than the serial part of a layer at batch 1 (≈ 40–50 µs), so a worker between two split ops stays awake. */
export const PROGRAM_SPIN_US = 100;

const KIND = { layerNorm: 1, matvec: 2, append: 5, attention: 6 } as const;
const F_GELU = 2, F_ACCUMULATE = 4;

export type ProgramOp =
  /** layerNormForward over `args`' rows (never split). */
  | { kind: "layerNorm"; rows: number; args: LayerNormForwardArgs }
  /** matvecRows over OUT outputs in `grain`s; then gelu of the share, or acc += the share. */
  | { kind: "matvec"; args: MatvecRowsArgs; grain: number; epilogue?: { gelu: true } | { accumulate: number } }
  /** k and v of rows [B] of `qkv` [B, 3C] into the slot set by `setSlot`, of slabs [B, NH, S, HS]: units (b, head). */
  | { kind: "append"; qkv: number; k: number; v: number; B: number; NH: number; S: number; HS: number; C: number; grain: number }
  /** decodeAttention with parameter block `block` over `units` = B·NH in `grain`s. */
  | { kind: "attention"; block: number; units: number; grain: number };

/** Words a program of `ops` ops takes. */
export function programWords(ops: number): number {
  return PROGRAM_HEADER_WORDS + 2 * PROGRAM_OP_WORDS * ops;
}

function opUnits(op: ProgramOp): number {
  switch (op.kind) {
    case "layerNorm": return op.rows;
    case "matvec": return op.args[6];
    case "append": return op.B * op.NH;
    case "attention": return op.units;
  }
}

export class DecodeProgram {
  private readonly grains: number[];
  /** Per op: whether it has more than one chunk (then the range runs on every thread). */
  private readonly split: boolean[];
  private readonly concurrent: boolean;

  constructor(private readonly engine: Engine, readonly ptr: number, private readonly ops: readonly ProgramOp[]) {
    checkBuffer(engine, "decodeProgram", "program", ptr, programWords(ops.length), `[${programWords(ops.length)}]`);
    this.concurrent = engine.threads === 1 || engine.concurrent === true;
    const w = engine.i32(ptr, programWords(ops.length));
    w.fill(0);
    w[H_SPIN] = PROGRAM_SPIN_US;
    const f = new Float32Array(w.buffer, w.byteOffset, w.length);
    this.grains = [];
    this.split = [];
    ops.forEach((op, i) => {
      const o = PROGRAM_HEADER_WORDS + i * PROGRAM_OP_WORDS, a = o + 4;
      let flags = 0;
      if (op.kind === "layerNorm") {
        w[o] = KIND.layerNorm;
        const [out, mean, rstd, inp, wt, b, C, eps] = op.args;
        w.set([out, mean, rstd, inp, wt, b, C], a);
        f[a + 7] = eps;
      } else if (op.kind === "matvec") {
        w[o] = KIND.matvec;
        w.set(op.args, a);
        if (op.epilogue !== undefined && "gelu" in op.epilogue) flags |= F_GELU;
        if (op.epilogue !== undefined && "accumulate" in op.epilogue) { flags |= F_ACCUMULATE; w[a + 7] = op.epilogue.accumulate; }
      } else if (op.kind === "append") {
        w[o] = KIND.append;
        w.set([op.qkv, op.k, op.v, op.NH, op.S, op.HS, op.C], a);
      } else {
        w[o] = KIND.attention;
        w[a] = op.block;
      }
      w[o + 1] = flags;
      w[o + 2] = opUnits(op);
      this.grains.push(0);
      this.split.push(false);
      this.setGrain(i, op.kind === "layerNorm" ? 1 << 30 : op.grain);
    });
  }

  /** Op i's split grain (a multiple of 4 for matvec: see matvec.ts); rewritten when a thread policy or a length changes it. */
  setGrain(i: number, grain: number): void {
    if (this.grains[i] === grain) return;
    const op = this.ops[i]!, n = opUnits(op);
    if (!(Number.isInteger(grain) && grain >= 1) || (op.kind === "matvec" && grain % 4 !== 0 && grain < n)) {
      throw new ExtraposError("internal", `decodeProgram: op ${i} (${op.kind}) needs a positive grain${op.kind === "matvec" ? " that is a multiple of 4" : ""}, got ${grain}`);
    }
    this.grains[i] = grain;
    this.engine.i32(this.ptr + 4 * (PROGRAM_HEADER_WORDS + i * PROGRAM_OP_WORDS + 3), 1)[0] = grain;
    this.split[i] = this.engine.threads > 1 && grain < n;
  }

  /**
   * How long a thread spins at a barrier before it sleeps (atomic loads): longer when the other
   * threads are known to be on their cores (waking a sleeper costs tens of microseconds), shorter
   * where a spinning thread may hold a core another one needs (the spin is timed: a load's speed
   * is not known).
   */
  setSpin(microseconds: number): void {
    this.engine.i32(this.ptr + 4 * H_SPIN, 1)[0] = microseconds;
  }

  /** The slot the append ops write (the step's token's slot). */
  setSlot(slot: number): void {
    this.engine.i32(this.ptr + 4 * H_SLOT, 1)[0] = slot;
  }

  /** Runs ops [from, to). */
  run(from: number, to: number): void {
    const e = this.engine;
    if (!this.concurrent) {
      for (let i = from; i < to; i++) this.runAlone(i);
      return;
    }
    let anySplit = false;
    for (let i = from; i < to && !anySplit; i++) anySplit = this.split[i]!;
    const P = anySplit ? e.threads : 1, ops = this.ops.length;
    if (P > 1) e.i32(this.ptr + 4 * (PROGRAM_HEADER_WORDS + PROGRAM_OP_WORDS * (ops + from)), PROGRAM_OP_WORDS * (to - from)).fill(0);
    e.parallelFor(DECODE_PROGRAM, P, [this.ptr, ops, from, to, P], 1, "decodeProgram");
  }

  /** Op i as its kernels' own parallelFor calls (engines that run the threads' shares one after another). */
  private runAlone(i: number): void {
    const e = this.engine, op = this.ops[i]!, grain = this.grains[i]!;
    if (op.kind === "layerNorm") e.parallelFor(LAYERNORM_FORWARD, op.rows, op.args, grain);
    else if (op.kind === "attention") e.parallelFor(DECODE_ATTENTION, op.units, [op.block], grain);
    else if (op.kind === "append") e.parallelFor(DECODE_PROGRAM, 1, [this.ptr, this.ops.length, i, i + 1, 1], 1);
    else {
      e.parallelFor(MATVEC_ROWS, op.args[6], op.args, grain);
      const n = op.args[4] * op.args[6], y = op.args[0];
      if (op.epilogue !== undefined && "gelu" in op.epilogue) e.parallelFor(GELU_FORWARD, n, [y, y], grain);
      if (op.epilogue !== undefined && "accumulate" in op.epilogue) e.parallelFor(RESIDUAL_FORWARD, n, [op.epilogue.accumulate, op.epilogue.accumulate, y], grain);
    }
  }
}

/** Runs of the warm-up program: enough for V8 to tier the program's functions up (each run ≈ 20 µs unoptimized). */
const WARM_UP_RUNS = 40;
let warmedUp = false;

/**
 * Runs a small program of every op kind (and the attention's bias modes "none" and Toeplitz, with
 * a contiguous cache) WARM_UP_RUNS times on scratch buffers, once per process: V8 first runs wasm
 * functions unoptimized and optimizes a function only after it ran for a while, in the background —
 * done at the first generation steps, that made the first ~5–20 steps 2–3× slower (1 ms instead of
 * 0.35 ms at 1k context); done when a decoder starts, the optimized code is ready when the prompt is
 * read (llama.cpp likewise runs a warm-up decode when it loads a model). 5–14 ms on a busy 2-core
 * machine, mostly compiling the functions it is the first to call.
 */
export function warmUpDecodeProgram(engine: Engine): void {
  if (warmedUp) return;
  warmedUp = true;
  const mark = engine.mark();
  try {
    const C = 128, NH = 4, HS = 32, S = 128, F = 4 * C;
    const buf = (n: number): number => {
      const p = engine.alloc(4 * n);
      engine.f32(p, n).fill(0.01);
      return p;
    };
    const x = buf(C), ln = buf(C), stats = buf(2), w = buf(F * C), b = buf(F), qkv = buf(3 * C), k = buf(NH * S * HS), v = buf(NH * S * HS);
    const att = buf(C), h = buf(F), table = buf(NH * S), scratch = buf(NH * decodeScratchStride(S));
    const lens = engine.alloc(4), pos = engine.alloc(4 * S), blocks = engine.alloc(8 * DECODE_ATTENTION_PARAM_WORDS);
    engine.i32(lens, 1)[0] = S;
    engine.i32(pos, S).set(Array.from({ length: S }, (_, i) => i));
    const call = { out: att, outStride: C, q: qkv, qStride: 3 * C, k, v, lens, pos, slots: S, B: 1, NH, HS, nq: 1, window: 0, contiguous: true, scratch, scratchStride: decodeScratchStride(S) };
    writeDecodeAttentionParams(engine, blocks, { ...call, bias: { kind: "none" } });
    writeDecodeAttentionParams(engine, blocks + 4 * DECODE_ATTENTION_PARAM_WORDS, { ...call, bias: { kind: "toeplitz", table, maxDistance: S - 1 } });
    const ops: ProgramOp[] = [
      { kind: "layerNorm", rows: 1, args: [ln, stats, stats + 4, x, b, b, C, 1e-5] },
      { kind: "matvec", args: [qkv, ln, w, b, 1, C, 3 * C], grain: 1 << 30 },
      { kind: "append", qkv, k, v, B: 1, NH, S, HS, C, grain: 1 << 30 },
      { kind: "attention", block: blocks, units: NH, grain: 1 << 30 },
      { kind: "attention", block: blocks + 4 * DECODE_ATTENTION_PARAM_WORDS, units: NH, grain: 1 << 30 },
      { kind: "matvec", args: [h, att, w, b, 1, C, F], grain: 1 << 30, epilogue: { gelu: true } },
      { kind: "matvec", args: [ln, h, w, b, 1, F, C], grain: 1 << 30, epilogue: { accumulate: x } },
    ];
    const program = new DecodeProgram(engine, engine.alloc(4 * programWords(ops.length)), ops);
    program.setSlot(S - 1);
    for (let i = 0; i < WARM_UP_RUNS; i++) {
      engine.f32(x, C).fill(0.01);
      engine.kernels[DECODE_PROGRAM]!(program.ptr, ops.length, 0, ops.length, 1, 0, 1);
    }
  } finally {
    engine.reset(mark);
  }
}
