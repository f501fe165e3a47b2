/**
 * decodeProgram: the kernel calls of a decoding step written ONCE into wasm memory as a list of ops
 * (layer norm, matrix–vector product with an optional GELU or residual-add epilogue, KV append,
 * attention), then run from ONE entry per step (or per segment between JavaScript hooks) instead of
 * one JavaScript → wasm call and one pool dispatch per kernel — at the tiny model's sizes a step is
 * ~35 kernels of a few microseconds each.
 *
 * Threads: with a pool (`Engine.concurrent`), every thread runs the program at once and does its
 * share of each op — the share `parallelFor` would give it for the op's (n, grain) (split.ts), so a
 * split op's bytes are those of the kernel split by the pool, the same bytes for any split — and
 * the threads meet at a barrier in shared memory (an atomic counter: a spin, then atomic.wait)
 * where an op reads what another thread wrote: before an op when some other thread worked since the
 * last barrier, or when the op is split and anything ran since the last barrier; never before an
 * op flagged `sameSplit` (it reads only its own thread's share of the previous op). A barrier costs
 * a few hundred nanoseconds; a pool dispatch tens of microseconds when the worker sleeps. A range
 * of ops where nothing is split runs on the calling thread alone (no worker is woken). Engines
 * whose parallelFor runs the threads' ranges one after another (kernels/testing.ts SplitEngine) get
 * the same ops as one `parallelFor` per kernel instead (`run`), the epilogues as separate calls.
 *
 * Epilogues (same operations, same bytes as the separate kernels): `gelu` y = gelu(y) on the op's
 * output share; `accumulate` acc += y (the residual stream: residualForward(acc, acc, y)).
 *
 * Layout (int32 words at `ptr`, PROGRAM_HEADER_WORDS then PROGRAM_OP_WORDS per op): header word 0 the
 * barrier counter, 16 the sleepers (own cache lines), 32 the KV append's slot (`setSlot`); op = kind,
 * flags, n, grain, arguments. Accumulate rule: every op `=` except the `accumulate` epilogue (`+=`).
 *
 * Example: `const prog = new DecodeProgram(engine, ptr, ops); prog.setSlot(t); prog.run(0, ops.length);`
 */
import { ExtraposError } from "../../../pe/errors.js";
import type { Engine } from "../../engine.js";
import { splitRange } from "../../threads/split.js";
import { checkBuffer } from "../checks.js";
import {
  DECODE_ATTENTION, DECODE_PROGRAM, GELU_FORWARD, LAYERNORM_FORWARD, MATVEC_ROWS, RESIDUAL_FORWARD,
  type LayerNormForwardArgs, type MatvecRowsArgs,
} from "../names.js";

export const PROGRAM_HEADER_WORDS = 48;
export const PROGRAM_OP_WORDS = 16;
const H_COUNTER = 0;
const H_SLOT = 32;

const KIND = { layerNorm: 1, matvec: 2, append: 5, attention: 6 } as const;
const F_SAME_SPLIT = 1, F_GELU = 2, F_ACCUMULATE = 4;

export type ProgramOp =
  /** layerNormForward over `args`' rows (never split). */
  | { kind: "layerNorm"; rows: number; args: LayerNormForwardArgs }
  /** matvecRows over OUT outputs in `grain`s; then gelu of the share, or acc += the share. */
  | { kind: "matvec"; args: MatvecRowsArgs; grain: number; epilogue?: { gelu: true } | { accumulate: number }; sameSplit?: boolean }
  /** k and v of rows [B] of `qkv` [B, 3C] into the slot set by `setSlot`, of slabs [B, NH, S, HS]: units (b, head). */
  | { kind: "append"; qkv: number; k: number; v: number; B: number; NH: number; S: number; HS: number; C: number; grain: number }
  /** decodeAttention with parameter block `block` over `units` = B·NH in `grain`s. */
  | { kind: "attention"; block: number; units: number; grain: number; sameSplit?: boolean };

/** Words a program of `ops` ops takes. */
export function programWords(ops: number): number {
  return PROGRAM_HEADER_WORDS + PROGRAM_OP_WORDS * ops;
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
  /** Per op: whether a thread other than the calling one gets a share (then the range runs on every thread). */
  private readonly split: boolean[];
  private readonly concurrent: boolean;

  constructor(private readonly engine: Engine, readonly ptr: number, private readonly ops: readonly ProgramOp[]) {
    checkBuffer(engine, "decodeProgram", "program", ptr, programWords(ops.length), `[${programWords(ops.length)}]`);
    this.concurrent = engine.threads === 1 || engine.concurrent === true;
    const w = engine.i32(ptr, programWords(ops.length));
    w.fill(0);
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
        if (op.sameSplit === true) flags |= F_SAME_SPLIT;
      } else if (op.kind === "append") {
        w[o] = KIND.append;
        w.set([op.qkv, op.k, op.v, op.NH, op.S, op.HS, op.C], a);
      } else {
        w[o] = KIND.attention;
        w[a] = op.block;
        if (op.sameSplit === true) flags |= F_SAME_SPLIT;
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
    this.split[i] = this.engine.threads > 1 && splitRange(n, this.engine.threads, grain)[1]!.start < n;
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
    const P = anySplit ? e.threads : 1;
    if (P > 1) e.i32(this.ptr + 4 * H_COUNTER, 1)[0] = 0;
    e.parallelFor(DECODE_PROGRAM, P, [this.ptr, from, to, P], 1, "decodeProgram");
  }

  /** Op i as its kernels' own parallelFor calls (engines that run the threads' shares one after another). */
  private runAlone(i: number): void {
    const e = this.engine, op = this.ops[i]!, grain = this.grains[i]!;
    if (op.kind === "layerNorm") e.parallelFor(LAYERNORM_FORWARD, op.rows, op.args, grain);
    else if (op.kind === "attention") e.parallelFor(DECODE_ATTENTION, op.units, [op.block], grain);
    else if (op.kind === "append") e.parallelFor(DECODE_PROGRAM, 1, [this.ptr, i, i + 1, 1], 1);
    else {
      e.parallelFor(MATVEC_ROWS, op.args[6], op.args, grain);
      const n = op.args[4] * op.args[6], y = op.args[0];
      if (op.epilogue !== undefined && "gelu" in op.epilogue) e.parallelFor(GELU_FORWARD, n, [y, y], grain);
      if (op.epilogue !== undefined && "accumulate" in op.epilogue) e.parallelFor(RESIDUAL_FORWARD, n, [op.epilogue.accumulate, op.epilogue.accumulate, y], grain);
    }
  }
}
