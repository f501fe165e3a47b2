// decodeProgram: a decoding step's list of kernel calls (decode-program.ts), run from one entry on
// every thread at once. Each op's range is cut into chunks of `grain` units; the threads claim
// chunks with an atomic counter and count the finished ones, and a thread starts a chunk of op i
// only when every chunk of op i − 1 is finished (hence, by induction, every earlier op). The kernels
// give the same bytes for any split, so who computes which chunk does not change a byte — and a
// thread the OS did not schedule only leaves its chunks to the others instead of holding them up.
// Ops of one chunk run on the calling thread.
import { matvecRows } from "../matvec/matvec.as";
import { layerNormForward } from "../layernorm/layernorm.as";
import { residualForward } from "../residual/residual.as";
import { geluForward } from "../gelu/gelu.as";
import { decodeAttention } from "../decode-attention/decode-attention.as";

// The embedder's clock in milliseconds (wasm.ts: performance.now): bounds a wait's spin in time.
// @ts-ignore: decorator
@external("env", "now")
declare function now(): f64;

// header words (decode-program.ts): sleepers on its own cache line, the append's slot, the spin (µs)
const H_SLEEPERS = 0;
const H_SLOT = 16;
const H_SPIN = 17;
const HEADER_WORDS = 32;
const OP_WORDS = 16;
// op record: kind, flags, n, grain, then the op's arguments; op i's counters (claimed, finished
// chunks) at word HEADER_WORDS + (ops + i)·OP_WORDS, each op's on its own cache line
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
const F_GELU = 2; // matvec epilogue: y = gelu(y) on the chunk
const F_ACCUMULATE = 4; // matvec epilogue: acc[r, o] = acc[r, o] + y[r, o] on the chunk (the residual add)

/** A wait that slept this many 1-ms sleeps (60 s) traps: a thread died. */
const MAX_SLEEPS = 60000;

// @ts-ignore: decorator
@inline
function word(op: usize, i: i32): i32 {
  return load<i32>(op + (<usize>i << 2));
}

/**
 * Ops [from, to) of the program at `p`, which holds `ops` ops, on thread `start` of `threads`
 * (parallelFor over [0, threads) with grain 1: every thread gets one index). With threads > 1 the
 * caller zeroes the counters first; the calling thread (index 0) returns when every op is finished.
 */
export function decodeProgram(p: usize, ops: i32, from: i32, to: i32, threads: i32, start: i32, end: i32): void {
  if (start >= end) return;
  if (threads == 1) {
    for (let i = from; i < to; i++) {
      const op = opAt(p, i);
      runChunk(p, op, 0, word(op, O_N));
    }
    return;
  }
  for (let i = from; i < to; i++) {
    const op = opAt(p, i), counters = opAt(p, ops + i);
    const n = word(op, O_N), grain = word(op, O_GRAIN), chunks = (n + grain - 1) / grain;
    // an op of one chunk is the calling thread's: a worker that shares its core with other work would
    // hold up the calling thread with it
    if (chunks == 1 && start != 0) continue;
    let ready = i == from;
    for (;;) {
      const c = atomic.add<i32>(counters, 1);
      if (c >= chunks) break;
      if (!ready) {
        waitFinished(p, opAt(p, ops + i - 1) + 4, chunksOf(opAt(p, i - 1)));
        ready = true;
      }
      const s = c * grain, e = s + grain < n ? s + grain : n;
      runChunk(p, op, s, e);
      if (atomic.add<i32>(counters + 4, 1) + 1 == chunks && atomic.load<i32>(p + (<usize>H_SLEEPERS << 2)) != 0) {
        atomic.notify(counters + 4, threads);
      }
    }
  }
  if (start == 0 && to > from) waitFinished(p, opAt(p, ops + to - 1) + 4, chunksOf(opAt(p, to - 1)));
}

// @ts-ignore: decorator
@inline
function opAt(p: usize, i: i32): usize {
  return p + (<usize>(HEADER_WORDS + i * OP_WORDS) << 2);
}

// @ts-ignore: decorator
@inline
function chunksOf(op: usize): i32 {
  const n = word(op, O_N), grain = word(op, O_GRAIN);
  return (n + grain - 1) / grain;
}

// Until the counter at `finished` reaches `chunks`: spins (header word H_SPIN µs), then sleeps.
function waitFinished(p: usize, finished: usize, chunks: i32): void {
  let v = atomic.load<i32>(finished);
  let until: f64 = -1;
  for (let i = 1; v < chunks; i++) {
    v = atomic.load<i32>(finished);
    if ((i & 1023) == 0) {
      const t = now();
      if (until < 0) until = t + <f64>word(p, H_SPIN) / 1000;
      else if (t > until) break;
    }
  }
  const sleepers = p + (<usize>H_SLEEPERS << 2);
  let sleeps = 0;
  while (v < chunks) {
    // registered before the last look: whoever finishes the op after it sees a sleeper and wakes it
    atomic.add<i32>(sleepers, 1);
    v = atomic.load<i32>(finished);
    if (v < chunks) memory.atomic.wait32(finished, v, 1000000);
    atomic.sub<i32>(sleepers, 1);
    v = atomic.load<i32>(finished);
    if (++sleeps > MAX_SLEEPS) unreachable();
  }
}

function runChunk(p: usize, op: usize, s: i32, e: i32): void {
  const kind = word(op, O_KIND), flags = word(op, O_FLAGS), a = op + (<usize>O_ARGS << 2);
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

// k and v of the rows [Bc] of qkv [Bc, 3C] into slot `slot` of the slabs [B, NH, S, HS]; items = (b, head) pairs
function appendRows(a: usize, slot: i32, s: i32, e: i32): void {
  const qkv = <usize>word(a, 0), K = <usize>word(a, 1), V = <usize>word(a, 2);
  const NH = word(a, 3), S = word(a, 4), HS = word(a, 5), C = word(a, 6);
  const bytes = <usize>HS << 2, vecBytes = <usize>(HS & ~3) << 2;
  for (let u = s; u < e; u++) {
    const b = u / NH, h = u % NH;
    const k = qkv + (<usize>(b * 3 * C + h * HS + C) << 2), v = k + (<usize>C << 2);
    const dst = <usize>((u * S + slot) * HS) << 2;
    // a head's row is a few vectors: a loop of v128 copies (memory.copy is a call into the runtime)
    let o: usize = 0;
    for (; o < vecBytes; o += 16) {
      v128.store(K + dst + o, v128.load(k + o));
      v128.store(V + dst + o, v128.load(v + o));
    }
    for (; o < bytes; o += 4) {
      store<f32>(K + dst + o, load<f32>(k + o));
      store<f32>(V + dst + o, load<f32>(v + o));
    }
  }
}
