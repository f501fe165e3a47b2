/**
 * decodeProgram: a layer's worth of ops (layer norm, matvec with the residual-add and GELU epilogues,
 * KV append, attention) run from one entry equals (1) the float64 composition of the kernels'
 * references within float32 tolerance, on odd sizes, and (2) the same kernels called one by one
 * through their glue, byte for byte — on one thread, on a SplitEngine (the per-op fallback) and on a
 * 2-thread pool where every op is cut into chunks the threads claim (repeated runs, so a thread that
 * started an op before the previous one finished would show as a wrong byte).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine, type Engine } from "../../engine.js";
import { createEngine } from "../../threads/pool.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameBytes, randomArray, SplitEngine, upload, uploadI32 } from "../testing.js";
import { decodeAttention, writeDecodeAttentionParams, DECODE_ATTENTION_PARAM_WORDS, decodeScratchStride, type DecodeAttentionCall } from "../decode-attention/decode-attention.js";
import { decodeAttentionRef } from "../decode-attention/decode-attention.ref.js";
import { geluForward } from "../gelu/gelu.js";
import { geluForwardRef } from "../gelu/gelu.ref.js";
import { layerNormForward } from "../layernorm/layernorm.js";
import { layerNormForwardRef } from "../layernorm/layernorm.ref.js";
import { matvecRows } from "../matvec/matvec.js";
import { matvecRowsRef } from "../matvec/matvec.ref.js";
import { residualForward } from "../residual/residual.js";
import { DecodeProgram, programWords, type ProgramOp } from "./decode-program.js";

interface Shape { B: number; NH: number; HS: number; S: number; slot: number; F: number }

/** Random inputs of one layer: x [B, C], ln, qkv W [3C, C] + bias, proj W [C, C], fc W [F, C], the K/V slabs with `slot` filled slots. */
function inputs(seed: number, s: Shape) {
  const rng = new Rng(seed), C = s.NH * s.HS;
  return {
    x: randomArray(rng, s.B * C), lnW: randomArray(rng, C), lnB: randomArray(rng, C),
    wQkv: randomArray(rng, 3 * C * C, 0.3), bQkv: randomArray(rng, 3 * C), wProj: randomArray(rng, C * C, 0.3), bProj: randomArray(rng, C),
    wFc: randomArray(rng, s.F * C, 0.3), bFc: randomArray(rng, s.F),
    k: randomArray(rng, s.B * s.NH * s.S * s.HS), v: randomArray(rng, s.B * s.NH * s.S * s.HS),
  };
}

type Inputs = ReturnType<typeof inputs>;

/**
 * Runs the layer on `engine`: as a program when `program`, else kernel by kernel through the glue.
 * `grain`: the split of every op (1 → as fine as the op allows). Returns x, the appended slabs, and h = gelu(fc(x)).
 */
function runLayer(engine: Engine, s: Shape, d: Inputs, program: boolean, grain: number, repeat = 1) {
  const { B, NH, HS, S, slot, F } = s, C = NH * HS;
  const mark = engine.mark();
  try {
    const x = upload(engine, d.x), lnW = upload(engine, d.lnW), lnB = upload(engine, d.lnB);
    const wQkv = upload(engine, d.wQkv), bQkv = upload(engine, d.bQkv), wProj = upload(engine, d.wProj), bProj = upload(engine, d.bProj);
    const wFc = upload(engine, d.wFc), bFc = upload(engine, d.bFc);
    const k = upload(engine, d.k), v = upload(engine, d.v);
    const ln = engine.alloc(4 * B * C), mean = engine.alloc(4 * B), rstd = engine.alloc(4 * B), qkv = engine.alloc(4 * B * 3 * C);
    const att = engine.alloc(4 * B * C), y = engine.alloc(4 * B * C), h = engine.alloc(4 * B * F);
    const lens = uploadI32(engine, new Array<number>(B).fill(slot + 1)), pos = uploadI32(engine, Array.from({ length: B * S }, (_, i) => i % S));
    const block = engine.alloc(4 * DECODE_ATTENTION_PARAM_WORDS), scratch = engine.alloc(4 * B * NH * decodeScratchStride(S));
    const call: DecodeAttentionCall = {
      out: att, outStride: C, q: qkv, qStride: 3 * C, k, v, lens, pos, slots: S, B, NH, HS, nq: 1, bias: { kind: "none" }, window: 0,
      contiguous: true, scratch, scratchStride: decodeScratchStride(S),
    };
    const g4 = Math.max(4, grain - (grain % 4));
    if (program) {
      writeDecodeAttentionParams(engine, block, call);
      const ops: ProgramOp[] = [
        { kind: "layerNorm", rows: B, args: [ln, mean, rstd, x, lnW, lnB, C, 1e-5] },
        { kind: "matvec", args: [qkv, ln, wQkv, bQkv, B, C, 3 * C], grain: g4 },
        { kind: "append", qkv, k, v, B, NH, S, HS, C, grain },
        { kind: "attention", block, units: B * NH, grain },
        { kind: "matvec", args: [y, att, wProj, bProj, B, C, C], grain: g4, epilogue: { accumulate: x } },
        { kind: "matvec", args: [h, x, wFc, bFc, B, C, F], grain: g4, epilogue: { gelu: true } },
      ];
      const prog = new DecodeProgram(engine, engine.alloc(4 * programWords(ops.length)), ops);
      prog.setSlot(slot);
      for (let i = 0; i < repeat; i++) {
        engine.f32(x, B * C).set(d.x);
        prog.run(0, ops.length);
      }
    } else {
      layerNormForward(engine, ln, mean, rstd, x, lnW, lnB, B, C, 1e-5);
      matvecRows(engine, qkv, ln, wQkv, bQkv, B, C, 3 * C);
      const q = engine.f32(qkv, B * 3 * C), K = engine.f32(k, B * NH * S * HS), V = engine.f32(v, B * NH * S * HS);
      for (let b = 0; b < B; b++) for (let hd = 0; hd < NH; hd++) {
        K.set(q.subarray(b * 3 * C + C + hd * HS, b * 3 * C + C + (hd + 1) * HS), ((b * NH + hd) * S + slot) * HS);
        V.set(q.subarray(b * 3 * C + 2 * C + hd * HS, b * 3 * C + 2 * C + (hd + 1) * HS), ((b * NH + hd) * S + slot) * HS);
      }
      decodeAttention(engine, block, call);
      matvecRows(engine, y, att, wProj, bProj, B, C, C);
      residualForward(engine, x, x, y, B * C);
      matvecRows(engine, h, x, wFc, bFc, B, C, F);
      geluForward(engine, h, h, B * F);
    }
    const copy = (p: number, n: number): Float32Array => Float32Array.from(engine.f32(p, n));
    return { x: copy(x, B * C), k: copy(k, B * NH * S * HS), v: copy(v, B * NH * S * HS), h: copy(h, B * F) };
  } finally {
    engine.reset(mark);
  }
}

/** The float64 composition of the kernels' references. */
function reference(s: Shape, d: Inputs) {
  const { B, NH, HS, S, slot, F } = s, C = NH * HS;
  const ln = layerNormForwardRef(d.x, d.lnW, d.lnB, B, C, 1e-5).out;
  const qkv = matvecRowsRef(ln, d.wQkv, d.bQkv, B, C, 3 * C);
  const k = Float64Array.from(d.k), v = Float64Array.from(d.v);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let c = 0; c < HS; c++) {
    k[((b * NH + h) * S + slot) * HS + c] = qkv[b * 3 * C + C + h * HS + c]!;
    v[((b * NH + h) * S + slot) * HS + c] = qkv[b * 3 * C + 2 * C + h * HS + c]!;
  }
  const att = decodeAttentionRef({
    q: qkv, qStride: 3 * C, k, v, lens: new Array<number>(B).fill(slot + 1), pos: Array.from({ length: B * S }, (_, i) => i % S), slots: S, B, NH, HS, nq: 1,
    window: 0, bias: { kind: "none" },
  });
  const y = matvecRowsRef(att, d.wProj, d.bProj, B, C, C);
  const x = d.x.map((xi, i) => xi + y[i]!);
  const h = geluForwardRef(matvecRowsRef(x, d.wFc, d.bFc, B, C, F));
  return { x, k, v, h };
}

const SHAPES: Shape[] = [
  { B: 1, NH: 1, HS: 3, S: 5, slot: 0, F: 17 },
  { B: 3, NH: 2, HS: 9, S: 19, slot: 17, F: 129 },
  { B: 2, NH: 3, HS: 5, S: 33, slot: 20, F: 13 },
];

test("decodeProgram = the float64 composition of the kernels' references on odd sizes", () => {
  const serial = new SerialEngine();
  for (const [i, s] of SHAPES.entries()) {
    const d = inputs(100 + i, s), got = runLayer(serial, s, d, true, 1 << 30), ref = reference(s, d);
    const tol = 2e-5 * Math.sqrt(s.NH * s.HS);
    for (const name of ["x", "k", "v", "h"] as const) assertClose(`${JSON.stringify(s)} ${name}`, Float64Array.from(got[name]), ref[name], tol, tol);
  }
});

test("decodeProgram = the same kernels called one by one, byte for byte: one thread and a SplitEngine (per-op fallback)", () => {
  const serial = new SerialEngine(), split = new SplitEngine(3);
  for (const [i, s] of SHAPES.entries()) {
    const d = inputs(200 + i, s), want = runLayer(serial, s, d, false, 1 << 30);
    for (const [what, got] of [["serial", runLayer(serial, s, d, true, 1 << 30)], ["split", runLayer(split, s, d, true, 1)]] as const) {
      for (const name of ["x", "k", "v", "h"] as const) assertSameBytes(`${what} ${JSON.stringify(s)} ${name}`, got[name], want[name]);
    }
  }
});

test("decodeProgram on a 2-thread pool: every op in chunks claimed by both threads — the same bytes over repeated runs", async () => {
  const pool = await createEngine({ threads: 2 });
  try {
    assert.equal(pool.concurrent, true);
    const serial = new SerialEngine();
    for (const [i, s] of SHAPES.entries()) {
      const d = inputs(300 + i, s), want = runLayer(serial, s, d, false, 1 << 30);
      for (const grain of [1, 4, 8]) {
        const got = runLayer(pool, s, d, true, grain, 25);
        for (const name of ["x", "k", "v", "h"] as const) assertSameBytes(`pool grain ${grain} ${JSON.stringify(s)} ${name}`, got[name], want[name]);
      }
    }
  } finally {
    await pool.dispose();
  }
});

test("decodeProgram on a 2-thread pool: no chunk of an op starts before the previous op finished (a long one-chunk op, then a split one)", async () => {
  const pool = await createEngine({ threads: 2 });
  try {
    pool.setWorkerSpin?.(20000); // the worker spins between runs: it claims chunks as soon as a run starts
    const rng = new Rng(400), R = 48, C = 301, OUT = 64;
    const x = randomArray(rng, R * C), lnW = randomArray(rng, C), lnB = randomArray(rng, C), w = randomArray(rng, OUT * C, 0.2);
    const run = (e: Engine, program: boolean): Float32Array => {
      const mark = e.mark();
      try {
        const px = upload(e, x), pw = upload(e, lnW), pb = upload(e, lnB), pm = upload(e, w);
        const ln = e.alloc(4 * R * C), mean = e.alloc(4 * R), rstd = e.alloc(4 * R), y = e.alloc(4 * R * OUT);
        if (!program) {
          layerNormForward(e, ln, mean, rstd, px, pw, pb, R, C, 1e-5);
          matvecRows(e, y, ln, pm, 0, R, C, OUT);
          return Float32Array.from(e.f32(y, R * OUT));
        }
        const ops: ProgramOp[] = [
          { kind: "layerNorm", rows: R, args: [ln, mean, rstd, px, pw, pb, C, 1e-5] },
          { kind: "matvec", args: [y, ln, pm, 0, R, C, OUT], grain: 4 },
        ];
        const prog = new DecodeProgram(e, e.alloc(4 * programWords(ops.length)), ops);
        const out = new Float32Array(R * OUT);
        for (let i = 0; i < 200; i++) {
          e.f32(ln, R * C).fill(Number.NaN); // a chunk that read ln before the layer norm finished gives NaN
          e.f32(y, R * OUT).fill(0);
          prog.run(0, ops.length);
          const got = e.f32(y, R * OUT);
          for (let j = 0; j < got.length; j++) if (Number.isNaN(got[j]!)) assert.fail(`run ${i}: output ${j} read the layer norm's output before it was written`);
          if (i === 0) out.set(got);
          else assertSameBytes(`run ${i}`, Float32Array.from(got), out);
        }
        return out;
      } finally {
        e.reset(mark);
      }
    };
    assertSameBytes("pool program vs one thread", run(pool, true), run(new SerialEngine(), false));
  } finally {
    pool.setWorkerSpin?.(0);
    await pool.dispose();
  }
});

test("decodeProgram refuses a matvec grain that would move outputs between the 4-wide and the tail code", () => {
  const e = new SerialEngine(), p = e.alloc(4 * programWords(1));
  assert.throws(() => new DecodeProgram(e, p, [{ kind: "matvec", args: [p, p, p, 0, 1, 4, 8], grain: 6 }]), /op 0 \(matvec\) needs a positive grain that is a multiple of 4, got 6/);
});
