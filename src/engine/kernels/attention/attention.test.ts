import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine, type Engine } from "../../engine.js";
import { createEngine } from "../../threads/pool.js";
import { Rng } from "../../../pe/random.js";
import { ExtraposError } from "../../../pe/errors.js";
import { ATTENTION_BACKWARD, ATTENTION_FORWARD } from "../names.js";
import { attentionBackward, attentionForward, attentionScratchFloats, writeAttentionParams, type AttentionBias, type AttentionBlocks, type AttentionShape } from "./attention.js";
import { allowedRef, attentionBackwardRef, attentionForwardRef, type RefAttentionOptions, type RefBias } from "./attention.ref.js";
import { assertClose, f32Buffer, i32Buffer, randomArray, randomPositions } from "./testing.js";
import { numericGradient } from "../../../testing/finite-difference.js";

const serial = new SerialEngine();
const engine: Engine = serial;

type BiasKind = "none" | "toeplitz" | "dense";
interface Case {
  shape: AttentionShape;
  bias: BiasKind;
  maxDistance?: number;
  window?: number;
  /** per-head dilation [NH] */
  dilation?: number[];
  globalTokens?: number;
  positions?: boolean;
  blocks?: AttentionBlocks;
  queries?: { start: number; end: number };
}

interface Inputs { q: Float32Array; k: Float32Array; v: Float32Array; dout: Float32Array; table: Float32Array; dense: Float32Array; ids: Int32Array | null }

function makeInputs(c: Case, seed: number): Inputs {
  const rng = new Rng(seed);
  const { B, T, NH, HS } = c.shape;
  const n = B * NH * T * HS;
  return {
    q: randomArray(rng, n, 1.5), k: randomArray(rng, n, 1.5), v: randomArray(rng, n), dout: randomArray(rng, n),
    table: randomArray(rng, NH * ((c.maxDistance ?? T) + 1), 2),
    dense: randomArray(rng, NH * T * T, 2),
    ids: c.positions ? randomPositions(rng, B, T, 3 * T + 5) : null,
  };
}

/** The dense bias block [NH, q1 − q0, q1] of the queries [q0, q1), cut from a full [NH, T, T]. */
function denseBlock(full: Float32Array, NH: number, T: number, q0: number, q1: number): Float32Array {
  const out = new Float32Array(NH * (q1 - q0) * q1);
  for (let h = 0; h < NH; h++) for (let i = q0; i < q1; i++) for (let j = 0; j < q1; j++) out[(h * (q1 - q0) + i - q0) * q1 + j] = full[(h * T + i) * T + j]!;
  return out;
}

function refOptions(c: Case, x: Inputs): RefAttentionOptions {
  const { T, NH, HS } = c.shape;
  const q0 = c.queries?.start ?? 0, q1 = c.queries?.end ?? T;
  const bias: RefBias = c.bias === "none" ? { kind: "none" }
    : c.bias === "toeplitz" ? { kind: "toeplitz", table: x.table, maxDistance: c.maxDistance ?? T }
    : { kind: "dense", bias: denseBlock(x.dense, NH, T, q0, q1) };
  return { bias, window: c.window ?? 0, positions: x.ids, scale: 1 / Math.sqrt(HS), q0, q1, dilation: c.dilation ?? null, globalTokens: c.globalTokens ?? 0 };
}

function runWasm(c: Case, x: Inputs, backward: boolean, engine: Engine = serial) {
  const { B, T, NH, HS } = c.shape;
  const n = B * NH * T * HS, C = NH * HS;
  const mark = engine.mark();
  try {
    const [q, k, v] = [f32Buffer(engine, n, x.q), f32Buffer(engine, n, x.k), f32Buffer(engine, n, x.v)];
    const out = f32Buffer(engine, B * T * C), lse = f32Buffer(engine, B * NH * T);
    const q0 = c.queries?.start ?? 0, q1 = c.queries?.end ?? T;
    const bias: AttentionBias = c.bias === "none" ? { kind: "none" }
      : c.bias === "toeplitz" ? { kind: "toeplitz", table: f32Buffer(engine, x.table.length, x.table), maxDistance: c.maxDistance ?? T }
      : { kind: "dense", bias: f32Buffer(engine, NH * (q1 - q0) * q1, denseBlock(x.dense, NH, T, q0, q1)) };
    const positions = x.ids ? { ptr: i32Buffer(engine, x.ids), perBatch: true } : null;
    const opts = {
      bias, window: c.window ?? 0, positions, ...(c.blocks ? { blocks: c.blocks } : {}),
      ...(c.dilation ? { dilation: i32Buffer(engine, c.dilation) } : {}), ...(c.globalTokens ? { globalTokens: c.globalTokens } : {}),
    };
    attentionForward(engine, out, lse, q, k, v, c.shape, c.queries ? { ...opts, queries: c.queries } : opts);
    const res = { out: Float32Array.from(engine.f32(out, B * T * C)), lse: Float32Array.from(engine.f32(lse, B * NH * T)) };
    if (!backward) return { ...res, dq: null, dk: null, dv: null, dBias: null };
    const perBH = c.bias === "toeplitz" ? (c.maxDistance ?? T) + 1 : c.bias === "dense" ? T * T : 0;
    const [dq, dk, dv] = [f32Buffer(engine, n), f32Buffer(engine, n), f32Buffer(engine, n)];
    const dBias = perBH ? f32Buffer(engine, B * NH * perBH) : 0;
    attentionBackward(engine, dq, dk, dv, dBias, f32Buffer(engine, n, x.dout), out, lse, q, k, v, c.shape, opts);
    const get = (p: number, len: number) => Float32Array.from(engine.f32(p, len));
    return { ...res, dq: get(dq, n), dk: get(dk, n), dv: get(dv, n), dBias: perBH ? get(dBias, B * NH * perBH) : null };
  } finally {
    engine.reset(mark);
  }
}

function checkCase(c: Case, seed: number, backward: boolean): void {
  const x = makeInputs(c, seed);
  const o = refOptions(c, x);
  const got = runWasm(c, x, backward);
  const ref = attentionForwardRef(x.q, x.k, x.v, c.shape, o);
  const what = JSON.stringify(c);
  const { T, NH, HS } = c.shape, C = NH * HS;
  const rows = (a: ArrayLike<number>, per: number, stride: number) => {
    const out: number[] = [];
    for (let r = 0; r < a.length / stride; r++) for (let i = o.q0; i < o.q1; i++) for (let d = 0; d < per; d++) out.push(a[(r * stride) + i * per + d]!);
    return out;
  };
  assertClose(`out ${what}`, rows(got.out, C, T * C), rows(ref.out, C, T * C), 2e-6, 2e-5);
  assertClose(`lse ${what}`, rows(got.lse, 1, T), rows(ref.lse, 1, T), 2e-6, 2e-6);
  if (!backward) return;
  const g = attentionBackwardRef(x.dout, x.q, x.k, x.v, c.shape, o);
  assertClose(`dq ${what}`, got.dq!, g.dq, 1e-5, 1e-4);
  assertClose(`dk ${what}`, got.dk!, g.dk, 1e-5, 1e-4);
  assertClose(`dv ${what}`, got.dv!, g.dv, 1e-5, 1e-4);
  if (got.dBias) assertClose(`dBias ${what}`, got.dBias, g.dBias, 1e-5, 1e-4);
}

test("attention forward+backward match the float64 reference (odd sizes, every bias mode, window, position ids)", () => {
  let seed = 100;
  for (const T of [1, 3, 17]) for (const HS of [1, 4, 12]) for (const NH of [1, 3]) for (const B of [1, 2]) {
    for (const bias of ["none", "toeplitz", "dense"] as const) {
      for (const window of [0, 2, 5]) {
        checkCase({ shape: { B, T, NH, HS }, bias, window, blocks: { query: 4, key: 8 } }, seed++, true);
      }
      if (bias === "toeplitz") {
        checkCase({ shape: { B, T, NH, HS }, bias, positions: true, maxDistance: 3 * T + 5, blocks: { query: 3, key: 4 } }, seed++, true);
        checkCase({ shape: { B, T, NH, HS }, bias, maxDistance: 2 }, seed++, true); // saturating table
      }
    }
  }
});

test("dilated windows and global tokens (Longformer / attention sinks) match the float64 reference, both paths, every bias", () => {
  // HS 4/12 take the register-tiled path, HS 3/6 the row path; dilations 1…5 per head, windows that
  // do and don't cover the sequence, global tokens below, at and past the window start, small tiles
  // (blocks of global keys, whole key blocks a dilated row never sees) and the default ones.
  let seed = 1500;
  for (const HS of [3, 4, 6, 12]) {
    for (const [T, blocks] of [[17, { query: 4, key: 8 }], [41, { query: 5, key: 4 }], [70, { query: 32, key: 64 }]] as const) {
      for (const bias of ["none", "toeplitz", "dense"] as const) {
        const NH = 3;
        checkCase({ shape: { B: 1, T, NH, HS }, bias, window: 4, dilation: [1, 2, 5], blocks }, seed++, true);
        checkCase({ shape: { B: 2, T, NH, HS }, bias, window: 3, globalTokens: 4, blocks }, seed++, true);
        checkCase({ shape: { B: 1, T, NH, HS }, bias, window: 5, dilation: [3, 1, 2], globalTokens: 1, blocks }, seed++, true);
        checkCase({ shape: { B: 1, T, NH, HS }, bias, window: 0, dilation: [2, 4, 1], blocks }, seed++, true);
        checkCase({ shape: { B: 1, T, NH, HS }, bias, window: 6, globalTokens: 11, blocks }, seed++, true);
      }
    }
  }
  // the query-range forward with sinks (what chunked evaluation runs)
  checkCase({ shape: { B: 1, T: 45, NH: 2, HS: 8 }, bias: "toeplitz", window: 7, dilation: [1, 3], globalTokens: 4, queries: { start: 20, end: 45 } }, seed++, false);
});

test("allowedRef: dilation keeps i, i − d, …, i − (W − 1)·d; global tokens are visible to every later query", () => {
  const seen = (i: number, W: number, d: number, G: number) => [...Array(i + 1).keys()].filter((j) => allowedRef(i, j, W, d, G));
  assert.deepEqual(seen(10, 3, 1, 0), [8, 9, 10]);
  assert.deepEqual(seen(10, 3, 2, 0), [6, 8, 10]);
  assert.deepEqual(seen(10, 3, 4, 0), [2, 6, 10]);
  assert.deepEqual(seen(10, 0, 3, 0), [1, 4, 7, 10]);
  assert.deepEqual(seen(10, 2, 3, 2), [0, 1, 7, 10]);
  assert.deepEqual(seen(1, 2, 3, 4), [0, 1]);
});

test("attention at T = 129 with the default tiles (HS 8, 12) matches the reference", () => {
  let seed = 500;
  for (const HS of [8, 12]) {
    for (const bias of ["none", "toeplitz", "dense"] as const) {
      checkCase({ shape: { B: 1, T: 129, NH: 1, HS }, bias, window: bias === "dense" ? 40 : 0 }, seed++, true);
    }
  }
});

test("register-tiled path (HS % 4 == 0: 4-, 8- and 8+4-column strips) on odd T, odd query blocks, windows, every bias", () => {
  // HS 4 / 12 / 20 / 32 take attention-tiled.as.ts (HS 20 = 8 + 8 + 4 columns); T 67 leaves a partial
  // group of 3 rows; query blocks of 5 and 7 rows split groups; windows 9 and 30 start key blocks off
  // the 4-grid; HS 6 takes the row-at-a-time path with the same cases.
  let seed = 600;
  for (const HS of [4, 6, 12, 20, 32]) {
    for (const blocks of [{ query: 5, key: 12 }, { query: 7, key: 4 }, { query: 32, key: 64 }]) {
      for (const bias of ["none", "toeplitz", "dense"] as const) {
        const window = bias === "none" ? 9 : bias === "dense" ? 30 : 0;
        checkCase({ shape: { B: 1, T: 67, NH: 1, HS }, bias, window, blocks }, seed++, true);
      }
    }
    checkCase({ shape: { B: 2, T: 23, NH: 2, HS }, bias: "toeplitz", positions: true, maxDistance: 74, blocks: { query: 1, key: 4 } }, seed++, true);
  }
});

test("blockwise result equals the naive softmax for tile sizes that do and don't divide T", () => {
  let seed = 700;
  for (const T of [17, 129]) {
    for (const blocks of [{ query: 1, key: 4 }, { query: 3, key: 8 }, { query: 16, key: 4 }, { query: 5, key: 12 }, { query: 32, key: 64 }, { query: 200, key: 200 }]) {
      checkCase({ shape: { B: 1, T, NH: 2, HS: 8 }, bias: "toeplitz", blocks }, seed++, T === 17);
      checkCase({ shape: { B: 1, T, NH: 1, HS: 4 }, bias: "none", window: 7, blocks }, seed++, false);
    }
  }
});

test("query ranges: chunked forward with a dense bias per chunk equals the full forward", () => {
  const shape = { B: 2, T: 37, NH: 2, HS: 8 };
  for (const [start, end] of [[0, 10], [10, 37], [20, 21], [36, 37]] as const) {
    checkCase({ shape, bias: "dense", queries: { start, end }, blocks: { query: 4, key: 8 } }, 900 + start, false);
    checkCase({ shape, bias: "toeplitz", window: 6, queries: { start, end } }, 950 + start, false);
  }
});

test("reference backward equals finite differences of the reference forward (every bias mode, window, ids)", () => {
  const shape = { B: 1, T: 5, NH: 2, HS: 3 };
  const cases: Case[] = [
    { shape, bias: "none" }, { shape, bias: "toeplitz", maxDistance: 3 }, { shape, bias: "toeplitz", positions: true, maxDistance: 25 },
    { shape, bias: "dense", window: 3 }, { shape: { ...shape, T: 9 }, bias: "toeplitz", maxDistance: 8, window: 2, dilation: [1, 3], globalTokens: 2 },
  ];
  let seed = 1000;
  for (const c of cases) {
    const x = makeInputs(c, seed++);
    const o = refOptions(c, x);
    const w = x.dout;
    const loss = (q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, oo: RefAttentionOptions) => {
      const { out } = attentionForwardRef(q, k, v, c.shape, oo);
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i]! * w[i]!;
      return s;
    };
    const g = attentionBackwardRef(w, x.q, x.k, x.v, c.shape, o);
    const q = Float64Array.from(x.q), k = Float64Array.from(x.k), v = Float64Array.from(x.v);
    const fd = (arr: Float64Array, f: (a: Float64Array) => number) => numericGradient(f, arr, 1e-5);
    assertClose(`dq fd ${c.bias}`, g.dq, fd(q, (a) => loss(a, k, v, o)), 1e-7, 1e-5);
    assertClose(`dk fd ${c.bias}`, g.dk, fd(k, (a) => loss(q, a, v, o)), 1e-7, 1e-5);
    assertClose(`dv fd ${c.bias}`, g.dv, fd(v, (a) => loss(q, k, a, o)), 1e-7, 1e-5);
    if (o.bias.kind === "toeplitz") {
      const t = Float64Array.from(o.bias.table), md = o.bias.maxDistance;
      assertClose(`dTable fd`, g.dBias, fd(t, (a) => loss(q, k, v, { ...o, bias: { kind: "toeplitz", table: a, maxDistance: md } })), 1e-7, 1e-5);
    } else if (o.bias.kind === "dense") {
      const t = Float64Array.from(o.bias.bias);
      assertClose(`dBias fd`, g.dBias, fd(t, (a) => loss(q, k, v, { ...o, bias: { kind: "dense", bias: a } })), 1e-7, 1e-5);
    }
  }
});

test("ALiBi as a Toeplitz table equals the reference's dense bias slope·(j − i) (torch_gpt.py)", () => {
  // slopes for 2 heads from the reference formula 2^(−8k/n): 1/16, 1/256
  const shape = { B: 1, T: 17, NH: 2, HS: 4 }, T = 17, slopes = [1 / 16, 1 / 256];
  const x = makeInputs({ shape, bias: "none" }, 77);
  const table = new Float32Array(2 * T), dense = new Float32Array(2 * T * T);
  for (let h = 0; h < 2; h++) for (let d = 0; d < T; d++) table[h * T + d] = -slopes[h]! * d;
  for (let h = 0; h < 2; h++) for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) dense[(h * T + i) * T + j] = slopes[h]! * (j - i);
  const a = runWasm({ shape, bias: "toeplitz", maxDistance: T - 1 }, { ...x, table }, false);
  const b = runWasm({ shape, bias: "dense" }, { ...x, dense }, false);
  assertClose("alibi toeplitz vs dense", a.out, b.out, 1e-6, 1e-6);
});

test("attention: sub-range calls over B·NH equal one full call (bitwise), tiled and row paths, forward and backward (window, dilation, global tokens)", () => {
  for (const HS of [8, 6]) {
    const shape = { B: 2, T: 19, NH: 3, HS }, n = 2 * 3 * 19 * HS, T = 19, blocks = { query: 8, key: 8 };
    const x = makeInputs({ shape, bias: "none" }, 5);
    const mark = engine.mark();
    const [q, k, v, dout] = [f32Buffer(engine, n, x.q), f32Buffer(engine, n, x.k), f32Buffer(engine, n, x.v), f32Buffer(engine, n, x.dout)];
    const floats = Math.max(attentionScratchFloats("forward", shape, blocks), attentionScratchFloats("backward", shape, blocks));
    const scratch = f32Buffer(engine, floats);
    const runs = [0, 1].map(() => ({ out: f32Buffer(engine, n), lse: f32Buffer(engine, 6 * T), dq: f32Buffer(engine, n), dk: f32Buffer(engine, n), dv: f32Buffer(engine, n) }));
    const dil = i32Buffer(engine, [1, 3, 2]);
    // the kernels' parameter block (attention-params.as.ts), written at the end of the scratch
    const common = { q, k, v, scratch, dBias: 0, biasMode: 0, bias: 0, maxDist: 0, posIds: 0, posBatchStride: 0, T, NH: 3, HS, scale: 1 / Math.sqrt(HS), window: 5, BQ: 8, BK: 8, dilation: dil, globalTokens: 2 };
    const fwd = (r: typeof runs[0]) => writeAttentionParams(engine, scratch, floats, { ...common, out: r.out, lse: r.lse, dq: 0, dk: 0, dv: 0, dout: 0, q0: 0, q1: T });
    const bwd = (r: typeof runs[0]) => writeAttentionParams(engine, scratch, floats, { ...common, out: runs[0]!.out, lse: runs[0]!.lse, dq: r.dq, dk: r.dk, dv: r.dv, dout, q0: 0, q1: T });
    engine.kernels[ATTENTION_FORWARD]!(fwd(runs[0]!), 0, 6);
    engine.kernels[ATTENTION_FORWARD]!(fwd(runs[1]!), 0, 2);
    engine.kernels[ATTENTION_FORWARD]!(fwd(runs[1]!), 2, 6);
    engine.kernels[ATTENTION_BACKWARD]!(bwd(runs[0]!), 0, 6);
    engine.kernels[ATTENTION_BACKWARD]!(bwd(runs[1]!), 0, 5);
    engine.kernels[ATTENTION_BACKWARD]!(bwd(runs[1]!), 5, 6);
    for (const name of ["out", "lse", "dq", "dk", "dv"] as const) {
      const len = name === "lse" ? 6 * T : n;
      assert.deepEqual(engine.f32(runs[1]![name], len), engine.f32(runs[0]![name], len), `${name}, HS ${HS}`);
    }
    engine.reset(mark);
  }
});

test("attention on 2 threads gives the same bytes as on 1 (every bias mode, backward included)", async () => {
  const two = await createEngine({ threads: 2 });
  try {
    let seed = 1200;
    for (const bias of ["none", "toeplitz", "dense"] as const) {
      const c: Case = { shape: { B: 3, T: 33, NH: 3, HS: 16 }, bias, window: bias === "dense" ? 11 : bias === "toeplitz" ? 4 : 0,
        ...(bias === "toeplitz" ? { dilation: [1, 2, 3], globalTokens: 2 } : {}) };
      const x = makeInputs(c, seed++);
      const a = runWasm(c, x, true), b = runWasm(c, x, true, two);
      for (const name of ["out", "lse", "dq", "dk", "dv", "dBias"] as const) assert.deepEqual(b[name], a[name], `${name} ${bias}`);
    }
  } finally {
    await two.dispose();
  }
});

test("attention refuses bad shapes, options and non-finite inputs with a message", () => {
  const shape = { B: 1, T: 4, NH: 1, HS: 4 };
  const mark = engine.mark();
  const buf = f32Buffer(engine, 64), lse = f32Buffer(engine, 4);
  const fwd = (o: object, s = shape) => attentionForward(engine, buf, lse, buf, buf, buf, s, o);
  assert.throws(() => fwd({ blocks: { query: 4, key: 6 } }), /blocks.key.*multiple of 4, got 6/);
  assert.throws(() => fwd({ queries: { start: 3, end: 2 } }), /queries.start.*in \[0, 1\], got 3/);
  assert.throws(() => fwd({ queries: { start: 0, end: 5 } }), /queries.end.*in \[1, 4\], got 5/);
  assert.throws(() => fwd({ window: -1 }), /`window` must be an integer ≥ 0, got -1/);
  assert.throws(() => fwd({ globalTokens: 1.5 }), /`globalTokens` must be an integer ≥ 0, got 1.5/);
  assert.throws(() => fwd({ window: 4, dilation: i32Buffer(engine, [0]) }), /`dilation\[0\]` must be an integer in \[1, \d+\], got 0/);
  assert.throws(() => fwd({}, { ...shape, T: 1e9 }), /`q` must be a 4-byte-aligned pointer/);
  assert.throws(() => fwd({ positions: { ptr: i32Buffer(engine, [0, 1, 2, 3]), perBatch: false } }), /positions.*only apply to a Toeplitz bias/);
  assert.throws(() => fwd({ bias: { kind: "alibi" } }), /bias.kind.*"none", "toeplitz" or "dense", got "alibi"/);
  const qNaN = f32Buffer(engine, 16);
  engine.f32(qNaN, 16)[5] = NaN;
  assert.throws(() => attentionForward(engine, buf, lse, qNaN, buf, buf, shape), (e: unknown) => e instanceof ExtraposError && e.code === "non_finite" && /non-finite logsumexp/.test(e.message));
  assert.throws(() => attentionBackward(engine, buf, buf, buf, buf, buf, buf, lse, buf, buf, buf, shape, {}), /dBias.*bias kind is "none"/);
  engine.reset(mark);
});
