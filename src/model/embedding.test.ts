/**
 * The scaled token embedding (embedding.ts) and the LSTM with `embedding.scale: "sqrt_d"`:
 * (1) scaledEmbeddingForward/Backward = plain float64 loops (x = s·tok[id] + pos[p]; dTok += s·dX,
 *     dPos += dX) on odd sizes, with and without a position table, s = 1 and s = √C, split-invariant;
 *     s = 1 is byte-identical to the bare embedding kernel (the default model is unchanged);
 * (2) LSTM nll and decoded logits = the float64 reference forward with the scale; the gradient of
 *     `tok_emb.weight` and `pos_emb.weight` = central finite differences of the reference loss.
 * Tolerances as the kernel and LSTM tests: forward rel 6e-8·(|s·e| + |p|) per element (two float32
 * roundings, abs 1e-6 covers the cancellation case), gradients abs 1e-6 + rel 1e-6; LSTM as model.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../engine/engine.js";
import { embeddingBackward, embeddingForward } from "../engine/kernels/embedding/embedding.js";
import { assertClose, assertSameOutputs, ODD_SIZES, randomArray, runKernel, SplitEngine } from "../engine/kernels/testing.js";
import { Rng } from "../pe/random.js";
import { parseModelConfig, type ModelConfig } from "./config.js";
import { scaledEmbeddingBackward, scaledEmbeddingForward } from "./embedding.js";
import { createLstm } from "./lstm/index.js";
import { initParams, paramTable, type Params } from "./params.js";
import { referenceLstmForward } from "./reference.js";

const serial = new SerialEngine();

interface Inputs { ids: number[]; posIds: number[]; tok: Float64Array; pos: Float64Array; dOut: Float64Array; dTok0: Float64Array; dPos0: Float64Array }

function make(rng: Rng, N: number, C: number, V: number, P: number): Inputs {
  return {
    ids: Array.from({ length: N }, () => rng.int(V)), posIds: Array.from({ length: N }, () => rng.int(P)),
    tok: randomArray(rng, V * C), pos: randomArray(rng, P * C), dOut: randomArray(rng, N * C),
    dTok0: randomArray(rng, V * C), dPos0: randomArray(rng, P * C),
  };
}

function run(engine: SerialEngine | SplitEngine, x: Inputs, N: number, C: number, V: number, P: number, withPos: boolean, s: number) {
  return runKernel(engine, {
    out: N * C, scratch: N * C, ids: { i32: x.ids }, posIds: { i32: x.posIds }, tok: x.tok, pos: x.pos, dTok: x.dTok0, dPos: x.dPos0, dOut: x.dOut,
  }, (p) => {
    const [posIds, pos, dPos, PP] = withPos ? [p.posIds!, p.pos!, p.dPos!, P] : [0, 0, 0, 0];
    scaledEmbeddingForward(engine, p.out!, p.scratch!, p.ids!, posIds, p.tok!, pos, N, C, V, PP, s);
    scaledEmbeddingBackward(engine, p.dTok!, dPos, p.dOut!, p.ids!, posIds, N, C, V, PP, s);
  });
}

/** The float64 definitions, written as loops. */
function reference(x: Inputs, N: number, C: number, withPos: boolean, s: number): { out: Float64Array; dTok: Float64Array; dPos: Float64Array } {
  const out = new Float64Array(N * C), dTok = Float64Array.from(x.dTok0), dPos = Float64Array.from(x.dPos0);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      out[n * C + c] = s * x.tok[x.ids[n]! * C + c]! + (withPos ? x.pos[x.posIds[n]! * C + c]! : 0);
      dTok[x.ids[n]! * C + c]! += s * x.dOut[n * C + c]!;
      if (withPos) dPos[x.posIds[n]! * C + c]! += x.dOut[n * C + c]!;
    }
  }
  return { out, dTok, dPos };
}

test("scaled embedding = float64 loops (odd sizes, s = 1 and √C, with and without positions), split-invariant", () => {
  const rng = new Rng(5);
  const split = new SplitEngine(3);
  for (const N of [1, 3, 17]) {
    for (const C of ODD_SIZES) {
      const V = 5, P = 7, x = make(rng, N, C, V, P);
      for (const s of [1, Math.sqrt(C)]) {
        for (const withPos of [true, false]) {
          const tag = `N=${N} C=${C} s=${s.toFixed(3)} pos=${withPos}`;
          const got = run(serial, x, N, C, V, P, withPos, s);
          const ref = reference(x, N, C, withPos, s);
          assertClose(`${tag} out`, got.out!, ref.out, 1e-6, 2e-7);
          assertClose(`${tag} dTok`, got.dTok!, ref.dTok, 1e-6, 1e-6);
          assertClose(`${tag} dPos`, got.dPos!, ref.dPos, 1e-6, 1e-6);
          assertSameOutputs(tag, got, run(split, x, N, C, V, P, withPos, s));
        }
      }
    }
  }
});

test("scale 1 is the bare embedding kernel, byte for byte (the default model is unchanged)", () => {
  const rng = new Rng(6), N = 17, C = 129, V = 5, P = 7, x = make(rng, N, C, V, P);
  const bare = runKernel(serial, { out: N * C, ids: { i32: x.ids }, posIds: { i32: x.posIds }, tok: x.tok, pos: x.pos, dTok: x.dTok0, dPos: x.dPos0, dOut: x.dOut }, (p) => {
    embeddingForward(serial, p.out!, p.ids!, p.posIds!, p.tok!, p.pos!, N, C, V, P);
    embeddingBackward(serial, p.dTok!, p.dPos!, p.dOut!, p.ids!, p.posIds!, N, C, V, P);
  });
  const scaled = run(serial, x, N, C, V, P, true, 1);
  for (const name of ["out", "dTok", "dPos", "dOut"]) assert.deepEqual(Float32Array.from(scaled[name]!), Float32Array.from(bare[name]!), name);
});

// ---------------------------------------------------------------------------------------------------
// the LSTM with the scale

const V = 256;
const FWD = { abs: 2e-6, rel: 1e-6 }; // model.test.ts: measured ≤ 1.3e-7, 15× headroom

function lstmConfig(d: number, pe: unknown, T: number): ModelConfig {
  return parseModelConfig({ model: "lstm", d_model: d, n_layers: 2, n_heads: 1, context_length: T, pe, embedding: "sqrt_d" });
}

function batchOf(seed: number, B: number, T: number): { B: number; T: number; inputs: Int32Array; targets: Int32Array } {
  const rng = new Rng(seed);
  return { B, T, inputs: Int32Array.from({ length: B * T }, () => rng.int(V)), targets: Int32Array.from({ length: B * T }, () => rng.int(V)) };
}

function nllOf(logits: Float64Array, targets: Int32Array): Float64Array {
  return Float64Array.from(targets, (tgt, n) => {
    let m = -Infinity, z = 0;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[n * V + v]!);
    for (let v = 0; v < V; v++) z += Math.exp(logits[n * V + v]! - m);
    return m + Math.log(z) - logits[n * V + tgt]!;
  });
}

for (const pe of ["none", "sinusoidal", "learned"] as const) {
  test(`LSTM with embedding scale √d (pe ${pe}): nll and decoded logits = float64 reference; the scale matters`, () => {
    const d = 9, B = 2, T = 7, cfg = lstmConfig(d, pe, T);
    assert.equal(cfg.embedding.initStd, d ** -0.5);
    const params = initParams(paramTable(cfg), 17);
    const model = createLstm(cfg, { engine: new SerialEngine(), seed: 0, params });
    const batch = batchOf(3, B, T);
    const ref = referenceLstmForward(cfg, params, batch.inputs, B, T);
    assertClose("nll", model.nll(batch), nllOf(ref, batch.targets), FWD.abs, FWD.rel);
    const last = model.startDecoding().feed(batch.inputs.subarray(0, T));
    assertClose("decoder last logits", last, ref.subarray((T - 1) * V, T * V), FWD.abs, FWD.rel);
    // the same weights without the scale give other logits (so the comparison above can fail)
    const unscaled = referenceLstmForward({ ...cfg, embedding: { scale: "none", initStd: cfg.embedding.initStd } }, params, batch.inputs, B, T);
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(ref[i]! - unscaled[i]!));
    assert.ok(diff > 1e-3, `the scale changes the logits by ${diff}`);
    model.dispose();
  });
}

test("LSTM with embedding scale √d: tok_emb and pos_emb gradients = central finite differences of the float64 loss", () => {
  const d = 4, B = 2, T = 5, cfg = lstmConfig(d, "learned", T);
  const params = initParams(paramTable(cfg), 21);
  const model = createLstm(cfg, { engine: new SerialEngine(), seed: 0, params });
  const batch = batchOf(4, B, T);
  model.zeroGrad();
  model.forwardBackward(batch, 1);
  const grads = new Map(model.gradients().map((g) => [g.name, Float64Array.from(g.data)]));
  const loss = (p: Params): number => nllOf(referenceLstmForward(cfg, p, batch.inputs, B, T), batch.targets).reduce((a, b) => a + b, 0) / (B * T);
  const h = 1e-3;
  let largest = 0;
  for (const name of ["tok_emb.weight", "pos_emb.weight"]) {
    const base = params.get(name)!;
    // rows the batch reads (tok_emb: the input ids; pos_emb: every row 0…T−1), 2 channels each
    const rows = name === "tok_emb.weight" ? Array.from(batch.inputs.subarray(0, 4)) : [0, 2, 4];
    for (const i of rows.flatMap((r) => [r * d, r * d + 3])) {
      const plus = base.slice(), minus = base.slice();
      plus[i] = base[i]! + h; minus[i] = base[i]! - h;
      const fd = (loss(new Map(params).set(name, plus)) - loss(new Map(params).set(name, minus))) / (plus[i]! - minus[i]!);
      const g = grads.get(name)![i]!;
      largest = Math.max(largest, Math.abs(g));
      // a missing factor s = 2 on dTok would be off by |g|/2 ≫ this tolerance (checked: see the transformer test)
      assert.ok(Math.abs(g - fd) <= 2e-6 + 1e-3 * Math.abs(fd), `${name}[${i}]: backward ${g} vs finite difference ${fd}`);
    }
  }
  assert.ok(largest > 1e-3, `the compared gradients are not all ~0 (max ${largest})`);
  model.dispose();
});
