/**
 * decodeAttention vs its float64 reference on odd sizes, every bias mode, windows, several query rows
 * per sequence, sequences of different lengths and non-contiguous slot positions, a shared prefix
 * (equal, byte for byte, to the prefix copied into every sequence); split invariance;
 * and the link to the training kernel: one decode row equals the last row of attentionForward.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, randomArray, runKernel, SplitEngine } from "../testing.js";
import { attentionForward } from "../attention/attention.js";
import { EXPF4_MAP, EXPNEG4_MAP } from "../names.js";
import { DECODE_ATTENTION_PARAM_WORDS, decodeAttention, decodeScratchStride, type DecodeBias } from "./decode-attention.js";
import { decodeAttentionRef } from "./decode-attention.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

interface Case { B: number; NH: number; HS: number; S: number; nq: number; lens: number[]; window: number; bias: "none" | "toeplitz" | "dense" | "cope"; gaps?: boolean; dilation?: number[]; global?: number; shared?: number; D?: number }

/** Sequence 0's first `P` slots of every head copied into every other sequence's (what a shared prefix stands for). */
function copyPrefix(x: Float64Array, c: Case, P: number): Float64Array {
  const y = x.slice(), { B, NH, S, HS } = c;
  for (let b = 1; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < P * HS; i++) y[((b * NH + h) * S) * HS + i] = x[(h * S) * HS + i]!;
  return y;
}

function run(engine: SerialEngine | SplitEngine, c: Case, seed: number, contiguous = false, mode: "shared" | "copied" = "shared") {
  const rng = new Rng(seed);
  const { B, NH, HS, S, nq } = c, C = NH * HS, qStride = 3 * C + 1, outStride = C + 3;
  const q = randomArray(rng, B * nq * qStride);
  let k = randomArray(rng, B * NH * S * HS), v = randomArray(rng, B * NH * S * HS);
  const shared = mode === "shared" ? c.shared ?? 0 : 0;
  if (mode === "copied") [k, v] = [copyPrefix(k, c, c.shared ?? 0), copyPrefix(v, c, c.shared ?? 0)];
  // positions: 0…S−1, or increasing with gaps (a cache that dropped tokens)
  const pos = Array.from({ length: B * S }, (_, i) => (c.gaps ? 3 * (i % S) + (i % 2) : i % S));
  const D = c.D ?? 5, P = 4;
  const data = c.bias === "toeplitz" ? randomArray(rng, NH * (D + 1)) : c.bias === "dense" ? randomArray(rng, NH * nq * S) : c.bias === "cope" ? randomArray(rng, P * HS) : [];
  const arg = c.bias === "toeplitz" ? D : c.bias === "dense" ? S : c.bias === "cope" ? P : 0;
  const stride = decodeScratchStride(S, c.bias === "cope" ? P : 0);
  const got = runKernel(engine, {
    out: B * nq * outStride, q, k, v, lens: { i32: c.lens }, pos: { i32: pos }, data: data.length ? data : [0],
    block: { i32: new Array(DECODE_ATTENTION_PARAM_WORDS).fill(0) }, scratch: B * NH * stride, dil: { i32: c.dilation ?? [1] },
  }, (p) => {
    const bias: DecodeBias = c.bias === "none" ? { kind: "none" } : c.bias === "toeplitz" ? { kind: "toeplitz", table: p.data!, maxDistance: D }
      : c.bias === "dense" ? { kind: "dense", rows: p.data!, stride: S } : { kind: "cope", emb: p.data!, maxPos: P };
    decodeAttention(engine, p.block!, { out: p.out!, outStride, q: p.q!, qStride, k: p.k!, v: p.v!, lens: p.lens!, pos: p.pos!, slots: S, B, NH, HS, nq, bias, window: c.window, contiguous, scratch: p.scratch!, scratchStride: stride, dilation: c.dilation ? p.dil! : 0, globalTokens: c.global ?? 0, shared });
  });
  const ref = decodeAttentionRef({ q, qStride, k, v, lens: c.lens, pos, slots: S, B, NH, HS, nq, window: c.window, bias: { kind: c.bias, data, arg }, ...(c.dilation ? { dilation: c.dilation } : {}), globalTokens: c.global ?? 0, shared });
  const out = new Float64Array(B * nq * C);
  for (let r = 0; r < B * nq; r++) out.set(got.out!.subarray(r * outStride, r * outStride + C), r * C);
  return { out, ref, raw: got };
}

const CASES: Case[] = [
  { B: 1, NH: 1, HS: 1, S: 1, nq: 1, lens: [1], window: 0, bias: "none" },
  { B: 1, NH: 3, HS: 17, S: 17, nq: 1, lens: [17], window: 0, bias: "none" },
  { B: 3, NH: 2, HS: 3, S: 129, nq: 1, lens: [129, 5, 64], window: 0, bias: "toeplitz" },
  { B: 2, NH: 3, HS: 8, S: 17, nq: 3, lens: [17, 9], window: 0, bias: "toeplitz", gaps: true },
  { B: 2, NH: 2, HS: 5, S: 17, nq: 4, lens: [17, 6], window: 3, bias: "none" },
  { B: 2, NH: 2, HS: 36, S: 131, nq: 2, lens: [131, 70], window: 9, bias: "toeplitz" },
  { B: 1, NH: 1, HS: 64, S: 40, nq: 1, lens: [37], window: 0, bias: "toeplitz" },
  { B: 2, NH: 3, HS: 8, S: 29, nq: 2, lens: [29, 17], window: 4, bias: "toeplitz", dilation: [1, 2, 3], global: 3 },
  { B: 1, NH: 2, HS: 5, S: 17, nq: 1, lens: [17], window: 0, bias: "none", dilation: [2, 3] },
  { B: 1, NH: 2, HS: 4, S: 19, nq: 3, lens: [19], window: 3, bias: "none", global: 2, gaps: true },
  { B: 1, NH: 3, HS: 7, S: 23, nq: 3, lens: [20], window: 0, bias: "dense" },
  { B: 2, NH: 3, HS: 4, S: 17, nq: 1, lens: [17, 3], window: 0, bias: "cope" },
  { B: 1, NH: 2, HS: 33, S: 9, nq: 5, lens: [9], window: 0, bias: "cope" },
  // HS 32: the fused softmax + weighted sum (odd lengths: a 4-key block tail; odd shared prefixes: a block across its end)
  { B: 1, NH: 2, HS: 32, S: 37, nq: 1, lens: [37], window: 0, bias: "toeplitz" },
  { B: 2, NH: 3, HS: 32, S: 23, nq: 3, lens: [23, 10], window: 5, bias: "none" },
  { B: 1, NH: 2, HS: 32, S: 29, nq: 2, lens: [29], window: 4, bias: "toeplitz", dilation: [1, 3], global: 2 },
  { B: 1, NH: 2, HS: 32, S: 21, nq: 2, lens: [19], window: 0, bias: "dense" },
  { B: 3, NH: 2, HS: 32, S: 41, nq: 1, lens: [41, 30, 38], window: 0, bias: "toeplitz", shared: 27 },
  { B: 2, NH: 2, HS: 32, S: 19, nq: 1, lens: [19, 15], window: 0, bias: "cope", shared: 10 },
  { B: 2, NH: 1, HS: 32, S: 70, nq: 1, lens: [70, 66], window: 9, bias: "toeplitz", shared: 61 },
  // HS 32 with a shared prefix: two queries of a head at once over the prefix (pairs and a lone query;
  // a prefix shorter than a 4-key block; dense rows; masks from dilation and global tokens)
  { B: 2, NH: 1, HS: 32, S: 9, nq: 1, lens: [9, 7], window: 0, bias: "none", shared: 3 },
  { B: 4, NH: 2, HS: 32, S: 23, nq: 1, lens: [23, 19, 21, 22], window: 0, bias: "dense", shared: 13 },
  { B: 3, NH: 2, HS: 32, S: 29, nq: 1, lens: [29, 25, 27], window: 7, bias: "toeplitz", shared: 21, dilation: [1, 2], global: 3 },
  // HS 32 with a Toeplitz table covering every distance (D ≥ slot − first): on contiguous slots the
  // bias and the max are taken with the scores (alone, in pairs, in a window; D = 39: pairs and lone
  // queries on either side of the rule)
  { B: 1, NH: 2, HS: 32, S: 37, nq: 1, lens: [37], window: 0, bias: "toeplitz", D: 40 },
  { B: 3, NH: 2, HS: 32, S: 41, nq: 1, lens: [41, 30, 38], window: 0, bias: "toeplitz", shared: 27, D: 41 },
  { B: 3, NH: 2, HS: 32, S: 41, nq: 1, lens: [41, 30, 38], window: 0, bias: "toeplitz", shared: 27, D: 39 },
  { B: 2, NH: 2, HS: 32, S: 23, nq: 3, lens: [23, 10], window: 5, bias: "toeplitz", D: 30 },
  // a shared prefix (batch generation from one prompt): odd prefix lengths, windows reaching into it or not
  { B: 3, NH: 2, HS: 33, S: 41, nq: 1, lens: [41, 30, 38], window: 0, bias: "toeplitz", shared: 27 },
  { B: 5, NH: 3, HS: 7, S: 23, nq: 2, lens: [23, 19, 21, 22, 20], window: 0, bias: "none", shared: 13 },
  { B: 2, NH: 2, HS: 36, S: 131, nq: 1, lens: [131, 99], window: 9, bias: "toeplitz", shared: 93 },
  { B: 3, NH: 2, HS: 5, S: 29, nq: 1, lens: [29, 25, 27], window: 7, bias: "toeplitz", shared: 21, dilation: [1, 2], global: 3 },
  { B: 2, NH: 3, HS: 4, S: 17, nq: 1, lens: [17, 12], window: 0, bias: "cope", shared: 9 },
  { B: 2, NH: 3, HS: 7, S: 23, nq: 1, lens: [20, 15], window: 0, bias: "dense", shared: 11 },
];

for (const c of CASES) {
  test(`decodeAttention = float64 reference: B ${c.B}, NH ${c.NH}, HS ${c.HS}, slots ${c.S}, nq ${c.nq}, lens [${c.lens}], window ${c.window}, ${c.bias}${c.gaps ? ", gapped positions" : ""}${c.dilation ? `, dilation [${c.dilation}]` : ""}${c.global ? `, ${c.global} global` : ""}${c.shared ? `, shared prefix ${c.shared}` : ""}${c.D ? `, D ${c.D}` : ""}`, () => {
    const { out, ref } = run(serial, c, 81);
    assertClose("decodeAttention", out, ref, 2e-6, 2e-5);
    if (!c.gaps) assertClose("decodeAttention, contiguous fast path", run(serial, c, 81, true).out, ref, 2e-6, 2e-5);
    assertSameOutputs("decodeAttention split", run(serial, c, 82).raw, run(split, c, 82).raw);
    if (c.shared) assert.deepEqual(run(serial, c, 83).raw.out, run(serial, c, 83, false, "copied").raw.out, "shared prefix = copied prefix, byte for byte");
  });
}

test("one decode row equals the last row of the training kernel (attentionForward) over the same keys", () => {
  const rng = new Rng(83);
  const NH = 2, HS = 8, T = 13, C = NH * HS;
  const q = randomArray(rng, NH * T * HS), k = randomArray(rng, NH * T * HS), v = randomArray(rng, NH * T * HS);
  const full = runKernel(serial, { out: T * C, lse: NH * T, q, k, v }, (p) => attentionForward(serial, p.out!, p.lse!, p.q!, p.k!, p.v!, { B: 1, T, NH, HS })).out!;
  const qLast = new Float64Array(C);
  for (let h = 0; h < NH; h++) qLast.set(q.subarray((h * T + T - 1) * HS, (h * T + T) * HS), h * HS);
  const dec = runKernel(serial, { out: C, q: qLast, k, v, lens: { i32: [T] }, pos: { i32: Array.from({ length: T }, (_, i) => i) }, block: DECODE_ATTENTION_PARAM_WORDS, scratch: NH * decodeScratchStride(T) }, (p) =>
    decodeAttention(serial, p.block!, { out: p.out!, outStride: C, q: p.q!, qStride: C, k: p.k!, v: p.v!, lens: p.lens!, pos: p.pos!, slots: T, B: 1, NH, HS, nq: 1, bias: { kind: "none" }, window: 0, scratch: p.scratch!, scratchStride: decodeScratchStride(T) })).out!;
  assertClose("decode row vs attentionForward's last row", dec, full.subarray((T - 1) * C), 1e-6, 1e-5);
});

test("decodeAttention refuses inconsistent lengths and CoPE with a window", () => {
  const p = serial.alloc(4096);
  const base = { out: p, outStride: 4, q: p, qStride: 4, k: p, v: p, lens: p, pos: p, slots: 4, B: 1, NH: 1, HS: 4, nq: 1, window: 0, scratch: p, scratchStride: 4 };
  serial.i32(p, 1)[0] = 5;
  assert.throws(() => decodeAttention(serial, p, { ...base, bias: { kind: "none" } }), /lens\[0\] must be in \[nq=1, slots=4\], got 5/);
  serial.i32(p, 1)[0] = 2;
  assert.throws(() => decodeAttention(serial, p, { ...base, scratchStride: 8, window: 2, bias: { kind: "cope", emb: p, maxPos: 4 } }), /CoPE takes no window/);
});

test("expNeg4 (the 32-channel loops' exp) gives expf4's bits for every x ≤ 0 it can get, and NaN for NaN", () => {
  // a grid over [−100, 0] (past the underflow at −87.34), both sides of the cut, −0, −∞ and NaN
  const xs = Float32Array.from([...Array.from({ length: 400001 }, (_, i) => -100 + i * 2.5e-4), -87.33654, -87.3365, -87.33655, -0, -Infinity, NaN, -1e-30, -3e-39]);
  const got = (name: typeof EXPF4_MAP | typeof EXPNEG4_MAP) =>
    runKernel(serial, { out: xs.length, inp: xs }, (p) => serial.parallelFor(name, xs.length, [p.out!, p.inp!])).out!;
  const a = got(EXPNEG4_MAP), b = got(EXPF4_MAP);
  for (let i = 0; i < xs.length; i++) {
    if (Number.isNaN(xs[i]!)) assert.ok(Number.isNaN(a[i]!), "NaN → NaN");
    else assert.equal(a[i], b[i], `x = ${xs[i]}`);
  }
});
