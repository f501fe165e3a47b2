/**
 * decodeRelativeAttention vs its float64 reference on odd sizes: several query rows per sequence,
 * sequences of different lengths, clamped distances (D below the largest distance), positions out of
 * slot order (a rolling cache's ring) and a key after the query (masked), a shared prefix (equal, byte
 * for byte, to the prefix copied into every sequence); split invariance; and the link to the training
 * kernel: the decode rows equal the last rows of relativeAttentionForward with segment memory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, randomArray, runKernel, SplitEngine } from "../testing.js";
import { relativeAttentionForward } from "../attention/relative.js";
import { DECODE_RELATIVE_PARAM_WORDS, decodeRelativeAttention, decodeRelativeScratchStride } from "./decode-relative.js";
import { decodeRelativeRef } from "./decode-relative.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

interface Case { B: number; NH: number; HS: number; S: number; nq: number; lens: number[]; D: number; order?: "ring"; shared?: number }

function copyPrefix(x: Float64Array, c: Case, P: number): Float64Array {
  const y = x.slice(), { B, NH, S, HS } = c;
  for (let b = 1; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < P * HS; i++) y[((b * NH + h) * S) * HS + i] = x[(h * S) * HS + i]!;
  return y;
}

/** Slot positions: 0…S−1, or a ring (the newest query rows at the end, older keys rotated: slot j of row b holds position (j + 3) mod (len − nq) for j < len − nq). */
function positions(c: Case): number[] {
  const pos = Array.from({ length: c.B * c.S }, (_, i) => i % c.S);
  if (c.order === "ring") for (let b = 0; b < c.B; b++) {
    const held = c.lens[b]! - c.nq;
    for (let j = 0; j < held; j++) pos[b * c.S + j] = (j + 3) % held;
    for (let r = 0; r < c.nq; r++) pos[b * c.S + held + r] = held + r;
    if (held > 1) pos[b * c.S] = held + c.nq + 5; // a key after every query: masked
  }
  return pos;
}

function run(engine: SerialEngine | SplitEngine, c: Case, seed: number, mode: "shared" | "copied" = "shared") {
  const rng = new Rng(seed);
  const { B, NH, HS, S, nq, D } = c, C = NH * HS, qStride = 3 * C + 1, outStride = C + 3;
  const q = randomArray(rng, B * nq * qStride);
  let k = randomArray(rng, B * NH * S * HS), v = randomArray(rng, B * NH * S * HS);
  const r = randomArray(rng, NH * (D + 1) * HS), u = randomArray(rng, NH * HS), vb = randomArray(rng, NH * HS);
  const shared = mode === "shared" ? c.shared ?? 0 : 0;
  if (mode === "copied") [k, v] = [copyPrefix(k, c, c.shared ?? 0), copyPrefix(v, c, c.shared ?? 0)];
  const pos = positions(c), stride = decodeRelativeScratchStride(S, HS) + 1;
  const got = runKernel(engine, {
    out: B * nq * outStride, q, k, v, r, u, vb, lens: { i32: c.lens }, pos: { i32: pos }, block: { i32: new Array(DECODE_RELATIVE_PARAM_WORDS).fill(0) }, scratch: B * NH * stride,
  }, (p) => decodeRelativeAttention(engine, p.block!, {
    out: p.out!, outStride, q: p.q!, qStride, k: p.k!, v: p.v!, lens: p.lens!, pos: p.pos!, slots: S, B, NH, HS, nq,
    r: p.r!, u: p.u!, vb: p.vb!, maxDistance: D, scratch: p.scratch!, scratchStride: stride, shared,
  }));
  const ref = decodeRelativeRef({ q, qStride, k, v, lens: c.lens, pos, slots: S, B, NH, HS, nq, r, u, vb, maxDistance: D, shared });
  const out = new Float64Array(B * nq * C);
  for (let i = 0; i < B * nq; i++) out.set(got.out!.subarray(i * outStride, i * outStride + C), i * C);
  return { out, ref, raw: got };
}

const CASES: Case[] = [
  { B: 1, NH: 1, HS: 1, S: 1, nq: 1, lens: [1], D: 0 },
  { B: 1, NH: 3, HS: 17, S: 17, nq: 1, lens: [17], D: 16 },
  { B: 3, NH: 2, HS: 3, S: 129, nq: 1, lens: [129, 5, 64], D: 128 },
  { B: 2, NH: 3, HS: 8, S: 17, nq: 3, lens: [17, 9], D: 4 },
  { B: 2, NH: 2, HS: 36, S: 131, nq: 2, lens: [131, 70], D: 130 },
  { B: 1, NH: 2, HS: 33, S: 40, nq: 5, lens: [37], D: 11 },
  { B: 2, NH: 3, HS: 7, S: 23, nq: 1, lens: [23, 12], D: 22, order: "ring" },
  { B: 1, NH: 2, HS: 5, S: 19, nq: 3, lens: [19], D: 7, order: "ring" },
  { B: 3, NH: 2, HS: 33, S: 41, nq: 1, lens: [41, 30, 38], D: 40, shared: 27 },
  { B: 5, NH: 3, HS: 7, S: 23, nq: 2, lens: [23, 19, 21, 22, 20], D: 9, shared: 13 },
];

for (const c of CASES) {
  test(`decodeRelativeAttention = float64 reference: B ${c.B}, NH ${c.NH}, HS ${c.HS}, slots ${c.S}, nq ${c.nq}, lens [${c.lens}], D ${c.D}${c.order ? ", ring positions" : ""}${c.shared ? `, shared prefix ${c.shared}` : ""}`, () => {
    const { out, ref } = run(serial, c, 91);
    assertClose("decodeRelativeAttention", out, ref, 2e-6, 2e-5);
    assertSameOutputs("decodeRelativeAttention split", run(serial, c, 92).raw, run(split, c, 92).raw);
    if (c.shared) assert.deepEqual(run(serial, c, 93).raw.out, run(serial, c, 93, "copied").raw.out, "shared prefix = copied prefix, byte for byte");
  });
}

test("the decode rows equal relativeAttentionForward's rows over [memory; segment] (the training kernel)", () => {
  const rng = new Rng(95);
  for (const { B, NH, HS, S, M, D } of [{ B: 2, NH: 2, HS: 8, S: 5, M: 7, D: 11 }, { B: 1, NH: 3, HS: 5, S: 9, M: 0, D: 3 }]) {
    const K = M + S, C = NH * HS;
    const q = randomArray(rng, B * NH * S * HS), k = randomArray(rng, B * NH * K * HS), v = randomArray(rng, B * NH * K * HS);
    const r = randomArray(rng, NH * (D + 1) * HS), u = randomArray(rng, NH * HS), vb = randomArray(rng, NH * HS);
    const full = runKernel(serial, { out: B * S * C, lse: B * NH * K, q, k, v, r, u, vb }, (p) =>
      relativeAttentionForward(serial, p.out!, p.lse!, p.q!, p.k!, p.v!, { B, S, M, NH, HS }, { r: p.r!, u: p.u!, v: p.vb!, maxDistance: D })).out!;
    // the segment's queries as rows [B·S, C] (head h at h·HS), the cache = [memory; segment] with positions 0…K−1
    const rows = new Float64Array(B * S * C);
    for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < S; i++) rows.set(q.subarray(((b * NH + h) * S + i) * HS, ((b * NH + h) * S + i + 1) * HS), (b * S + i) * C + h * HS);
    const stride = decodeRelativeScratchStride(K, HS);
    const dec = runKernel(serial, { out: B * S * C, q: rows, k, v, r, u, vb, lens: { i32: new Array(B).fill(K) }, pos: { i32: Array.from({ length: B * K }, (_, i) => i % K) }, block: DECODE_RELATIVE_PARAM_WORDS, scratch: B * NH * stride }, (p) =>
      decodeRelativeAttention(serial, p.block!, { out: p.out!, outStride: C, q: p.q!, qStride: C, k: p.k!, v: p.v!, lens: p.lens!, pos: p.pos!, slots: K, B, NH, HS, nq: S, r: p.r!, u: p.u!, vb: p.vb!, maxDistance: D, scratch: p.scratch!, scratchStride: stride })).out!;
    assertClose(`decode rows vs relativeAttentionForward (M ${M}, D ${D})`, dec, full, 1e-5, 1e-4);
  }
});

test("decodeRelativeAttention refuses inconsistent lengths and a short scratch", () => {
  const p = serial.alloc(4096);
  const base = { out: p, outStride: 4, q: p, qStride: 4, k: p, v: p, lens: p, pos: p, slots: 4, B: 1, NH: 1, HS: 4, nq: 1, r: p, u: p, vb: p, maxDistance: 3, scratch: p, scratchStride: decodeRelativeScratchStride(4, 4) };
  serial.i32(p, 1)[0] = 5;
  assert.throws(() => decodeRelativeAttention(serial, p, base), /lens\[0\] must be in \[nq=1, slots=4\], got 5/);
  serial.i32(p, 1)[0] = 2;
  assert.throws(() => decodeRelativeAttention(serial, p, { ...base, scratchStride: 4 }), /scratchStride` must be ≥ 12/);
});
