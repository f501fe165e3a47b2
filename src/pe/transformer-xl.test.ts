/**
 * Transformer-XL math (transformer-xl.ts) against test/fixtures/transformer-xl/txl.json, made by
 * make_txl_fixture.py beside it: the reference module's relative attention (pre-LN on [mems; w]), its
 * `_rel_shift`, `_update_mems` and relative embedding, re-implemented in PyTorch float64 (torch 1.13).
 * Cases: no memory, memory shorter/longer than the segment, clamp_len 4 < klen, a single query.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relShift, txlAttention, txlRelativeEmbedding, txlScores, updateMems } from "./transformer-xl.js";

interface Case {
  qlen: number; mlen: number; d: number; H: number; dh: number; clamp_len: number;
  w: number[]; mems: number[]; R: number[]; qkv_w: number[]; r_w: number[]; o_w: number[]; ln_w: number[]; ln_b: number[];
  r_w_bias: number[]; r_r_bias: number[]; q: number[]; k: number[]; v: number[]; r: number[]; scores: (number | null)[];
  vec: number[]; out: number[]; new_mems: Record<string, number[]>; shift_in: number[]; shift_out: number[];
}
const fx = JSON.parse(readFileSync(new URL("../../test/fixtures/transformer-xl/txl.json", import.meta.url), "utf8")) as { cases: Case[] };

function close(what: string, got: ArrayLike<number>, want: ArrayLike<number | null>, tol = 1e-12): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? -Infinity, g = got[i]!;
    if (w === -Infinity) { assert.equal(g, -Infinity, `${what}[${i}] masked`); continue; }
    assert.ok(Math.abs(g - w) <= tol * (1 + Math.abs(w)), `${what}[${i}]: ${g} vs ${w}`);
  }
}

const linear = (x: ArrayLike<number>, rows: number, inDim: number, w: ArrayLike<number>, outDim: number): Float64Array => {
  const y = new Float64Array(rows * outDim);
  for (let n = 0; n < rows; n++) for (let o = 0; o < outDim; o++) {
    let s = 0;
    for (let i = 0; i < inDim; i++) s += x[n * inDim + i]! * w[o * inDim + i]!;
    y[n * outDim + o] = s;
  }
  return y;
};

test("relative embedding R = the reference's PositionalEmbedding over pos_seq klen−1 … 0 (clamped)", () => {
  for (const c of fx.cases) close(`R ${c.qlen}/${c.mlen}`, txlRelativeEmbedding(c.qlen + c.mlen, c.d, c.clamp_len), c.R);
  // the defining values: row klen−1 is distance 0 = [sin 0 … | cos 0 …]; clamped rows repeat distance C
  const R = txlRelativeEmbedding(6, 4, 2);
  assert.deepEqual(Array.from(R.subarray(20, 24)), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(R.subarray(0, 4)), Array.from(R.subarray(12, 16)), "distances 5 and 2 both clamp to 2");
});

test("relShift = the reference's _rel_shift everywhere (leftovers included); below the diagonal = explicit indexing", () => {
  for (const c of fx.cases) {
    const klen = c.qlen + c.mlen, got = relShift(c.shift_in, c.qlen, klen);
    close(`shift ${c.qlen}×${klen}`, got, c.shift_out, 0);
    for (let i = 0; i < c.qlen; i++) for (let j = 0; j <= i + c.mlen; j++) {
      assert.equal(got[i * klen + j], c.shift_in[i * klen + j + c.qlen - 1 - i], `(${i}, ${j})`);
    }
  }
});

test("scores ((q+u)·k + (q+v)·r_{i−j}) / √dh and the attention output = the reference's (AC + BD after _rel_shift)", () => {
  for (const c of fx.cases) {
    const a = { q: c.q, k: c.k, v: c.v, r: c.r, u: c.r_w_bias, vBias: c.r_r_bias, qlen: c.qlen, klen: c.qlen + c.mlen, H: c.H, dh: c.dh };
    close(`scores ${c.qlen}/${c.mlen}`, txlScores(a), c.scores);
    close(`vec ${c.qlen}/${c.mlen}`, txlAttention(a), c.vec);
  }
});

test("one pre-LN layer with memory: LN([mems; w]) → qkv, r = W_r·R, attention, o_net, residual = the reference's output", () => {
  for (const c of fx.cases) {
    const klen = c.qlen + c.mlen, d = c.d, C = c.H * c.dh;
    const cat = [...c.mems, ...c.w];
    const ln = new Float64Array(klen * d);
    for (let n = 0; n < klen; n++) {
      const row = cat.slice(n * d, (n + 1) * d);
      const mean = row.reduce((s, x) => s + x, 0) / d, vr = row.reduce((s, x) => s + (x - mean) ** 2, 0) / d;
      for (let i = 0; i < d; i++) ln[n * d + i] = ((row[i]! - mean) / Math.sqrt(vr + 1e-5)) * c.ln_w[i]! + c.ln_b[i]!;
    }
    const heads = linear(ln, klen, d, c.qkv_w, 3 * C);
    const part = (p: number, from: number) => { const o = new Float64Array((klen - from) * C); for (let n = from; n < klen; n++) o.set(heads.subarray(n * 3 * C + p * C, n * 3 * C + (p + 1) * C), (n - from) * C); return o; };
    const r = linear(txlRelativeEmbedding(klen, d, c.clamp_len), klen, d, c.r_w, C);
    const vec = txlAttention({ q: part(0, c.mlen), k: part(1, 0), v: part(2, 0), r, u: c.r_w_bias, vBias: c.r_r_bias, qlen: c.qlen, klen, H: c.H, dh: c.dh });
    const o = linear(vec, c.qlen, C, c.o_w, d).map((x, i) => x + c.w[i]!);
    close(`layer out ${c.qlen}/${c.mlen}`, o, c.out, 1e-11);
  }
});

test("updateMems keeps the last mem_len rows of [mems; hids] (the reference's _update_mems, ext_len 0)", () => {
  for (const c of fx.cases) {
    for (const [m, want] of Object.entries(c.new_mems)) close(`mems ${m}`, updateMems(c.mems, c.w, c.d, Number(m)), want, 0);
  }
  assert.deepEqual(Array.from(updateMems([1, 2], [3, 4, 5], 1, 3)), [3, 4, 5]);
  assert.deepEqual(Array.from(updateMems([1, 2], [3], 1, 0)), []);
});
