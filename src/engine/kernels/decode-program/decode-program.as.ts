// decodeProgram: a decoding step's list of kernel calls (decode-program.ts), run from one entry on
// every thread at once: thread t runs its share of each op, the same share `parallelFor` would give
// it (split.ts's formula), and the threads meet at a barrier in shared memory only where an op
// reads what another thread wrote. See decode-program.ts for the layout and the rules.
import { matvecRows } from "../matvec/matvec.as";
import { layerNormForward } from "../layernorm/layernorm.as";
import { residualForward } from "../residual/residual.as";
import { geluForward } from "../gelu/gelu.as";
import { decodeAttention } from "../decode-attention/decode-attention.as";

// header words (decode-program.ts PROGRAM_*): the barrier's counter and sleepers on their own cache lines
const H_COUNTER = 0;
const H_SLEEPERS = 16;
const H_SLOT = 32;
const HEADER_WORDS = 48;
const OP_WORDS = 16;
// op record: kind, flags, n, grain, then the op's arguments
const O_KIND = 0;
const O_FLAGS = 1;
const O_N = 2;
const O_GRAIN = 3;
const O_ARGS = 4;

const OP_LAYERNORM = 1;
const OP_MATVEC = 2;
const OP_APPEND = 5;
const OP_ATTENTION = 6;

// flags
const F_SAME_SPLIT = 1; // reads only this thread's share of the previous op: no barrier before it
const F_GELU = 2; // matvec epilogue: y = gelu(y) on this share
const F_ACCUMULATE = 4; // matvec epilogue: acc[r, o] = acc[r, o] + y[r, o] on this share (the residual add)

/** Spin iterations at a barrier before sleeping in atomic.wait (each is one atomic load). */
const SPIN = 20000;
/** A barrier that waited this many 1-ms sleeps (60 s) traps: a thread died. */
const MAX_SLEEPS = 60000;

// @ts-ignore: decorator
@inline
function word(op: usize, i: i32): i32 {
  return load<i32>(op + (<usize>i << 2));
}

// split.ts's splitRange for thread t of P: chunks [⌈t·C/P⌉, ⌈(t+1)·C/P⌉) of `grain` items
// @ts-ignore: decorator
@inline
function rangeStart(n: i32, t: i32, P: i32, grain: i32): i32 {
  const chunks = (n + grain - 1) / grain;
  const c0 = (t * chunks + P - 1) / P;
  const s = c0 * grain;
  return s < n ? s : n;
}

function barrier(p: usize, target: i32, threads: i32): void {
  const counter = p + (<usize>H_COUNTER << 2), sleepers = p + (<usize>H_SLEEPERS << 2);
  atomic.add<i32>(counter, 1);
  let v = atomic.load<i32>(counter);
  for (let i = 0; v < target && i < SPIN; i++) v = atomic.load<i32>(counter);
  let sleeps = 0;
  while (v < target) {
    atomic.add<i32>(sleepers, 1);
    v = atomic.load<i32>(counter);
    if (v < target) memory.atomic.wait32(counter, v, 1000000);
    atomic.sub<i32>(sleepers, 1);
    v = atomic.load<i32>(counter);
    if (++sleeps > MAX_SLEEPS) unreachable();
  }
  // the last to arrive wakes whoever went to sleep (the sleeper registered before its last look)
  if (atomic.load<i32>(sleepers) != 0) atomic.notify(counter, threads);
}

/**
 * Ops [from, to) of the program at `p` on thread `start` of `threads` (parallelFor over [0, threads)
 * with grain 1: every thread gets exactly one index). The caller zeroes the barrier counter before.
 */
export function decodeProgram(p: usize, from: i32, to: i32, threads: i32, start: i32, end: i32): void {
  for (let t = start; t < end; t++) runThread(p, from, to, t, threads);
}

function runThread(p: usize, from: i32, to: i32, t: i32, P: i32): void {
  let barriers = 0;
  // since the last barrier: did any op run, did a thread other than 0 work (the same for every thread)
  let ran = false, others = false;
  for (let i = from; i < to; i++) {
    const op = p + (<usize>(HEADER_WORDS + i * OP_WORDS) << 2);
    const kind = word(op, O_KIND), flags = word(op, O_FLAGS), n = word(op, O_N), grain = word(op, O_GRAIN);
    const split = P > 1 && rangeStart(n, 1, P, grain) < n;
    if ((flags & F_SAME_SPLIT) == 0 && (others || (split && ran))) {
      barrier(p, ++barriers * P, P);
      others = false;
    }
    ran = true;
    others = others || split;
    const s = rangeStart(n, t, P, grain), e = rangeStart(n, t + 1, P, grain);
    if (s >= e) continue;
    const a = op + (<usize>O_ARGS << 2);
    if (kind == OP_MATVEC) {
      const y = <usize>word(a, 0), R = word(a, 4), OUT = word(a, 6);
      matvecRows(y, <usize>word(a, 1), <usize>word(a, 2), <usize>word(a, 3), R, word(a, 5), OUT, s, e);
      for (let r = 0; r < R; r++) {
        const row = y + (<usize>(r * OUT) << 2);
        if ((flags & F_GELU) != 0) geluForward(row, row, s, e);
        if ((flags & F_ACCUMULATE) != 0) {
          const acc = <usize>word(a, 7) + (<usize>(r * OUT) << 2);
          residualForward(acc, acc, row, s, e);
        }
      }
    } else if (kind == OP_LAYERNORM) {
      layerNormForward(<usize>word(a, 0), <usize>word(a, 1), <usize>word(a, 2), <usize>word(a, 3), <usize>word(a, 4), <usize>word(a, 5), word(a, 6), load<f32>(a, 28), s, e);
    } else if (kind == OP_APPEND) {
      appendRows(a, word(p, H_SLOT), s, e);
    } else if (kind == OP_ATTENTION) {
      decodeAttention(<usize>word(a, 0), s, e);
    } else {
      unreachable();
    }
  }
}

// k and v of the rows [Bc] of qkv [Bc, 3C] into slot `slot` of the slabs [B, NH, S, HS]; items = (b, head) pairs
function appendRows(a: usize, slot: i32, s: i32, e: i32): void {
  const qkv = <usize>word(a, 0), K = <usize>word(a, 1), V = <usize>word(a, 2);
  const NH = word(a, 3), S = word(a, 4), HS = word(a, 5), C = word(a, 6);
  const bytes = <usize>HS << 2;
  for (let u = s; u < e; u++) {
    const b = u / NH, h = u % NH;
    const row = qkv + (<usize>(b * 3 * C + h * HS) << 2);
    const dst = <usize>((u * S + slot) * HS) << 2;
    memory.copy(K + dst, row + (<usize>C << 2), bytes);
    memory.copy(V + dst, row + (<usize>(2 * C) << 2), bytes);
  }
}
