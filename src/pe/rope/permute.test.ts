import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../random.js";
import { defaultInvFreq } from "./inv-freq.js";
import { ropeCosSin, rotateHalfSplit, rotateInterleaved } from "./apply.js";
import { permuteHalfToInterleaved, permuteInterleavedToHalf } from "./permute.js";

/** Reference: HF's `w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)` as 4-D indexing. */
function hfPermute(w: Float64Array, nHeads: number, dim1: number, dim2: number): Float64Array {
  const half = dim1 / nHeads / 2;
  const out = new Float64Array(w.length);
  let o = 0;
  for (let h = 0; h < nHeads; h++)          // transposed view [h][t][j][c] reads source [h][j][t][c]
    for (let t = 0; t < 2; t++)
      for (let j = 0; j < half; j++)
        for (let c = 0; c < dim2; c++) out[o++] = w[((h * half + j) * 2 + t) * dim2 + c]!;
  return out;
}

const matvec = (w: Float64Array, x: Float64Array, rows: number) =>
  Float64Array.from({ length: rows }, (_, r) => x.reduce((s, xi, c) => s + w[r * x.length + c]! * xi, 0));

test("permuteInterleavedToHalf equals HF's convert_llama_weights_to_hf permute (view/transpose/reshape)", () => {
  const rng = new Rng(1);
  for (const [nHeads, headDim, inF] of [[1, 2, 1], [3, 6, 5], [4, 8, 17], [2, 34, 3]] as const) {
    const w = Float64Array.from({ length: nHeads * headDim * inF }, () => rng.gaussian());
    assert.deepEqual(permuteInterleavedToHalf(w, nHeads, headDim), hfPermute(w, nHeads, nHeads * headDim, inF));
  }
  assert.deepEqual(Array.from(permuteInterleavedToHalf(new Float32Array([0, 1, 2, 3]), 1, 4)), [0, 2, 1, 3]);
});

test("permute ∘ inverse = identity (full and partial rotary, float32 and float64)", () => {
  const rng = new Rng(2);
  for (const [nHeads, headDim, rot, inF] of [[2, 8, 8, 3], [3, 10, 6, 4], [1, 130, 64, 1]] as const) {
    const w = Float32Array.from({ length: nHeads * headDim * inF }, () => rng.gaussian());
    assert.deepEqual(permuteHalfToInterleaved(permuteInterleavedToHalf(w, nHeads, headDim, rot), nHeads, headDim, rot), w);
    const w64 = Float64Array.from(w);
    assert.deepEqual(permuteInterleavedToHalf(permuteHalfToInterleaved(w64, nHeads, headDim, rot), nHeads, headDim, rot), w64);
    assert.notDeepEqual(permuteInterleavedToHalf(w64, nHeads, headDim, rot), w64);
  }
});

test("the two layouts agree after the weight permutation: q·k through permuted weights is unchanged", () => {
  const rng = new Rng(3);
  for (const [nHeads, headDim, rot, inF] of [[2, 8, 8, 5], [3, 10, 6, 7], [1, 34, 34, 9]] as const) {
    const rows = nHeads * headDim;
    const wq = Float64Array.from({ length: rows * inF }, () => rng.gaussian());
    const wk = Float64Array.from({ length: rows * inF }, () => rng.gaussian());
    const wqHalf = permuteInterleavedToHalf(wq, nHeads, headDim, rot), wkHalf = permuteInterleavedToHalf(wk, nHeads, headDim, rot);
    const inv = defaultInvFreq(10000, rot);
    for (let trial = 0; trial < 10; trial++) {
      const xm = Float64Array.from({ length: inF }, () => rng.gaussian()), xn = Float64Array.from({ length: inF }, () => rng.gaussian());
      const m = Math.floor(rng.float() * 10000), n = Math.floor(rng.float() * 10000);
      const t = ropeCosSin(inv, [m, n]);
      const cm = t.cos.subarray(0, rot), sm = t.sin.subarray(0, rot), cn = t.cos.subarray(rot), sn = t.sin.subarray(rot);
      const [qI, kI, qH, kH] = [matvec(wq, xm, rows), matvec(wk, xn, rows), matvec(wqHalf, xm, rows), matvec(wkHalf, xn, rows)];
      for (let h = 0; h < nHeads; h++) {
        const s = (v: Float64Array) => v.subarray(h * headDim, (h + 1) * headDim);
        const a = rotateInterleaved(s(qI), cm, sm), b = rotateInterleaved(s(kI), cn, sn);
        const c = rotateHalfSplit(s(qH), cm, sm), d = rotateHalfSplit(s(kH), cn, sn);
        const interleaved = a.reduce((acc, v, i) => acc + v * b[i]!, 0);
        const half = c.reduce((acc, v, i) => acc + v * d[i]!, 0);
        assert.ok(Math.abs(interleaved - half) <= 1e-9 * (1 + Math.abs(interleaved)), `head ${h}: ${interleaved} vs ${half}`);
      }
    }
  }
});

test("bad shapes are refused", () => {
  assert.throws(() => permuteInterleavedToHalf(new Float32Array(10), 2, 4), /not a multiple of nHeads·headDim = 8/);
  assert.throws(() => permuteInterleavedToHalf(new Float32Array(8), 1, 8, 10), /`rotaryDim` \(10\) must be ≤ `headDim` \(8\)/);
  assert.throws(() => permuteInterleavedToHalf(new Float32Array(8), 1, 8, 3), /`rotaryDim` must be an even integer/);
  assert.throws(() => permuteHalfToInterleaved(new Float32Array(8), 0, 8), /`nHeads`/);
});
