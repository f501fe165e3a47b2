import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SerialEngine } from "../../engine.js";
import { Rng } from "../../../pe/random.js";
import { assertClose, assertSameOutputs, dot, numericGradient, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../testing.js";
import { lstmCellBackward, lstmCellForward } from "./lstm.js";
import {
  lstmCellBackwardRef, lstmCellForwardRef, lstmLayerBackwardRef, lstmLayerForwardRef, matmulTransposedRef,
  type LstmSizes, type LstmWeights,
} from "./lstm.ref.js";

const serial = new SerialEngine();
const split = new SplitEngine(3);

interface Fixture {
  T: number; B: number; I: number; H: number; x: number[]; h0: number[]; c0: number[];
  weight_ih: number[]; weight_hh: number[]; bias_ih: number[]; bias_hh: number[]; r_out: number[]; r_h: number[]; r_c: number[];
  out: number[]; h_T: number[]; c_T: number[]; d_x: number[]; d_h0: number[]; d_c0: number[];
  d_weight_ih: number[]; d_weight_hh: number[]; d_bias_ih: number[]; d_bias_hh: number[];
}
// test/fixtures/lstm/lstm.json, made by make_lstm_fixture.py beside it (torch 1.13 nn.LSTM, float64)
const fx = JSON.parse(readFileSync(new URL("../../../../test/fixtures/lstm/lstm.json", import.meta.url), "utf8")) as Fixture;
const fxSizes: LstmSizes = { T: fx.T, B: fx.B, I: fx.I, H: fx.H };
const fxWeights: LstmWeights = { weightIh: fx.weight_ih, weightHh: fx.weight_hh, biasIh: fx.bias_ih, biasHh: fx.bias_hh };

test("float64 LSTM layer reference (forward + BPTT) reproduces PyTorch nn.LSTM", () => {
  const f = lstmLayerForwardRef(fx.x, fxWeights, fx.h0, fx.c0, fxSizes);
  assertClose("out vs torch", f.out, fx.out, 1e-12, 1e-10);
  assertClose("h_T vs torch", f.hT, fx.h_T, 1e-12, 1e-10);
  assertClose("c_T vs torch", f.cT, fx.c_T, 1e-12, 1e-10);
  const g = lstmLayerBackwardRef(fx.r_out, fx.r_h, fx.r_c, fx.x, fxWeights, fx.h0, fx.c0, f, fxSizes);
  for (const [name, ours, theirs] of [
    ["d_x", g.dx, fx.d_x], ["d_h0", g.dh0, fx.d_h0], ["d_c0", g.dc0, fx.d_c0], ["d_weight_ih", g.dWeightIh, fx.d_weight_ih],
    ["d_weight_hh", g.dWeightHh, fx.d_weight_hh], ["d_bias_ih", g.dBiasIh, fx.d_bias_ih], ["d_bias_hh", g.dBiasHh, fx.d_bias_hh],
  ] as const) assertClose(`${name} vs torch`, ours, theirs, 1e-12, 1e-10);
});

test("float64 LSTM layer BPTT matches finite differences (every input and parameter)", () => {
  const rng = new Rng(91);
  const s: LstmSizes = { T: 3, B: 2, I: 2, H: 3 };
  const x = randomArray(rng, s.T * s.B * s.I), h0 = randomArray(rng, s.B * s.H, 0.5), c0 = randomArray(rng, s.B * s.H, 0.5);
  const w = { weightIh: randomArray(rng, 4 * s.H * s.I, 0.5), weightHh: randomArray(rng, 4 * s.H * s.H, 0.5), biasIh: randomArray(rng, 4 * s.H, 0.3), biasHh: randomArray(rng, 4 * s.H, 0.3) };
  const rOut = randomArray(rng, s.T * s.B * s.H), rh = randomArray(rng, s.B * s.H), rc = randomArray(rng, s.B * s.H);
  const loss = () => { const f = lstmLayerForwardRef(x, w, h0, c0, s); return dot(f.out, rOut) + dot(f.hT, rh) + dot(f.cT, rc); };
  const g = lstmLayerBackwardRef(rOut, rh, rc, x, w, h0, c0, lstmLayerForwardRef(x, w, h0, c0, s), s);
  for (const [name, analytic, wrt] of [
    ["dx", g.dx, x], ["dh0", g.dh0, h0], ["dc0", g.dc0, c0], ["dWeightIh", g.dWeightIh, w.weightIh],
    ["dWeightHh", g.dWeightHh, w.weightHh], ["dBiasIh", g.dBiasIh, w.biasIh], ["dBiasHh", g.dBiasHh, w.biasHh],
  ] as const) assertClose(`FD ${name}`, analytic, numericGradient(loss, wrt), 1e-7, 1e-6);
});

function cellInputs(rng: Rng, B: number, H: number) {
  return {
    preIh: randomArray(rng, 4 * B * H, 2), preHh: randomArray(rng, 4 * B * H, 1), cPrev: randomArray(rng, B * H),
    biasIh: randomArray(rng, 4 * H, 0.5), biasHh: randomArray(rng, 4 * H, 0.5), dh: randomArray(rng, B * H), dc: randomArray(rng, B * H),
  };
}

function runCell(engine: SerialEngine | SplitEngine, x: ReturnType<typeof cellInputs>, B: number, H: number, full: boolean) {
  return runKernel(engine, { h: B * H, c: B * H, gates: 4 * B * H, dPre: 4 * B * H, dcPrev: B * H, ...x }, (p) => {
    const o = (name: string) => (full ? p[name]! : 0);
    lstmCellForward(engine, p.h!, p.c!, p.gates!, p.preIh!, o("preHh"), o("cPrev"), o("biasIh"), o("biasHh"), B, H);
    lstmCellBackward(engine, p.dPre!, p.dcPrev!, p.dh!, o("dc"), p.gates!, p.c!, o("cPrev"), B, H);
  });
}

test("lstm cell kernels match the float64 cell reference on odd sizes (with and without optional operands)", () => {
  const rng = new Rng(92);
  for (const B of [1, 3, 17]) {
    for (const H of ODD_SIZES) {
      const x = cellInputs(rng, B, H);
      for (const full of [true, false]) {
        const tag = `lstmCell B=${B} H=${H}${full ? "" : " (no preHh/cPrev/bias/dc)"}`;
        const got = runCell(serial, x, B, H, full);
        const f = lstmCellForwardRef(x.preIh, full ? x.preHh : null, full ? x.cPrev : null, full ? x.biasIh : null, full ? x.biasHh : null, B, H);
        assertClose(`${tag} gates`, got.gates!, f.gates, 1e-7, 2e-6);
        // c = f·cPrev + i·g can cancel: float32 absolute error ~ a few ulp(1) even where c is small
        assertClose(`${tag} c`, got.c!, f.c, 5e-7, 2e-6);
        assertClose(`${tag} h`, got.h!, f.h, 5e-7, 2e-6);
        const g = lstmCellBackwardRef(x.dh, full ? x.dc : null, f.gates, f.c, full ? x.cPrev : null, B, H);
        assertClose(`${tag} dPre`, got.dPre!, g.dPre, 1e-6, 1e-5);
        assertClose(`${tag} dcPrev`, got.dcPrev!, g.dcPrev, 1e-6, 1e-5);
      }
    }
  }
});

test("lstm cell kernels composed over a sequence (as the model will) match the layer reference", () => {
  // float32 kernels for the cell, float64 JS matmuls rounded to float32 in between
  const { T, B, I, H } = fxSizes;
  const ref = lstmLayerForwardRef(fx.x, fxWeights, fx.h0, fx.c0, fxSizes);
  const refG = lstmLayerBackwardRef(fx.r_out, fx.r_h, fx.r_c, fx.x, fxWeights, fx.h0, fx.c0, ref, fxSizes);
  const f32 = (a: ArrayLike<number>) => Float64Array.from(a, Math.fround);
  const hs: Float64Array[] = [f32(fx.h0)], cs: Float64Array[] = [f32(fx.c0)], gates: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const preIh = f32(matmulTransposedRef(fx.x.slice(t * B * I, (t + 1) * B * I), fx.weight_ih, B, I, 4 * H));
    const preHh = f32(matmulTransposedRef(hs[t]!, fx.weight_hh, B, H, 4 * H));
    const r = runKernel(serial, { h: B * H, c: B * H, gates: 4 * B * H, preIh, preHh, cPrev: cs[t]!, bih: f32(fx.bias_ih), bhh: f32(fx.bias_hh) }, (p) =>
      lstmCellForward(serial, p.h!, p.c!, p.gates!, p.preIh!, p.preHh!, p.cPrev!, p.bih!, p.bhh!, B, H));
    hs.push(r.h!); cs.push(r.c!); gates.push(r.gates!);
  }
  assertClose("composed out", hs.slice(1).flatMap((h) => Array.from(h)), ref.out, 1e-6, 1e-5);
  let dhNext: Float64Array = f32(fx.r_h), dcNext: Float64Array = f32(fx.r_c);
  const dBias = new Float64Array(4 * H);
  for (let t = T - 1; t >= 0; t--) {
    const dh = f32(dhNext.map((v, i) => v + fx.r_out[t * B * H + i]!));
    const r = runKernel(serial, { dPre: 4 * B * H, dc: dcNext, dh, gates: gates[t]!, c: cs[t + 1]!, cPrev: cs[t]! }, (p) =>
      lstmCellBackward(serial, p.dPre!, p.dc!, p.dh!, p.dc!, p.gates!, p.c!, p.cPrev!, B, H)); // dcPrev in place over dc
    for (let b = 0; b < B; b++) for (let k = 0; k < 4 * H; k++) dBias[k]! += r.dPre![b * 4 * H + k]!;
    const wT = Float64Array.from({ length: 4 * H * H }, (_, i) => fx.weight_hh[(i % (4 * H)) * H + Math.floor(i / (4 * H))]!);
    dhNext = f32(matmulTransposedRef(r.dPre!, wT, B, 4 * H, H));
    dcNext = r.dc!;
  }
  assertClose("composed dBias", dBias, refG.dBiasIh, 1e-6, 1e-5);
  assertClose("composed dh0", dhNext, refG.dh0, 1e-6, 1e-5);
  assertClose("composed dc0", dcNext, refG.dc0, 1e-6, 1e-5);
});

test("lstm cell kernels give the same bytes when batch rows are split", () => {
  const rng = new Rng(93);
  for (const [B, H] of [[17, 7], [5, 32]] as const) {
    const x = cellInputs(rng, B, H);
    assertSameOutputs(`lstmCell B=${B} H=${H}`, runCell(serial, x, B, H, true), runCell(split, x, B, H, true));
  }
  const p = serial.alloc(64);
  assert.throws(() => lstmCellForward(serial, p, p, p, p, 0, 0, 0, 0, 3, 0), /lstmCellForward: size H must be an integer ≥ 1, got 0/);
});
