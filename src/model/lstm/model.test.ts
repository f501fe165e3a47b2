// The engine-backed LSTM against the float64 reference forward (src/model/reference.ts) on odd sizes, a
// finite-difference check of its gradients through that reference, decoding, training, memory, threads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine, type Engine } from "../../engine/engine.js";
import { assertClose } from "../../engine/kernels/testing.js";
import { createEngine } from "../../engine/threads/pool.js";
import { adaptiveTableAt } from "../../pe/adaptive.js";
import { ExtraposError } from "../../pe/errors.js";
import { Rng } from "../../pe/random.js";
import { parseModelConfig, type ModelConfig } from "../config.js";
import type { TokenBatch } from "../lm.js";
import { initParams, paramTable, type Params } from "../params.js";
import { referenceLstmForward, type ReferenceOptions } from "../reference.js";
import { createLstm, type LstmModel } from "./index.js";

const V = 256;

function config(d: number, layers: number, pe: unknown, contextLength = 8): ModelConfig {
  return parseModelConfig({ model: "lstm", d_model: d, n_layers: layers, n_heads: 1, context_length: contextLength, pe });
}

function randomBatch(rng: Rng, B: number, T: number, ignoreEvery = 0): TokenBatch {
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  for (let i = 0; i < B * T; i++) {
    inputs[i] = Math.floor(rng.float() * V);
    targets[i] = ignoreEvery > 0 && i % ignoreEvery === 0 ? -1 : Math.floor(rng.float() * V);
  }
  return { B, T, inputs, targets };
}

/** Reference options for encodings the reference has no built-in hook for (adaptive: L = T, as the model). */
function refOptions(cfg: ModelConfig, T: number): ReferenceOptions {
  if (cfg.pe.kind !== "adaptive") return {};
  const table = adaptiveTableAt(Array.from({ length: T }, (_, t) => t), T, { dim: cfg.dModel, layout: "interleaved" });
  return { hooks: { absolute: (pos, x) => { for (let k = 0; k < x.length; k++) x[k]! += table[pos * cfg.dModel + k]!; } } };
}

/** Per-token NLL (float64) of reference logits [N, V]; NaN where the target is ignored. */
function referenceNll(logits: Float64Array, targets: Int32Array): Float64Array {
  const out = new Float64Array(targets.length);
  for (let n = 0; n < targets.length; n++) {
    if (targets[n]! < 0) { out[n] = NaN; continue; }
    let m = -Infinity, z = 0;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[n * V + v]!);
    for (let v = 0; v < V; v++) z += Math.exp(logits[n * V + v]! - m);
    out[n] = m + Math.log(z) - logits[n * V + targets[n]!]!;
  }
  return out;
}

function meanIgnoring(x: Float64Array): number {
  let s = 0, n = 0;
  for (const v of x) if (!Number.isNaN(v)) { s += v; n++; }
  return s / n;
}

// float32 engine vs float64 reference: per-op rounding ~6e-8 relative, through ≤ 3 layers and ≤ 300 steps
// of recurrence; measured max |Δ logits| ≤ 1.3e-7 (|logit| ≤ 1) over the cases below. 2e-6 + 1e-6·|ref|
// leaves 15× headroom (nll adds the float32 rounding of a ~5.5-nat loss, ≤ 5e-7).
const FWD = { abs: 2e-6, rel: 1e-6 };

for (const [d, layers, B, T, pe] of [
  [1, 1, 1, 1, "none"], [3, 2, 3, 17, "none"], [17, 3, 2, 5, "sinusoidal"], [5, 2, 3, 7, "learned"], [6, 2, 1, 19, "adaptive"],
] as const) {
  test(`forward = float64 reference (d ${d}, ${layers} layers, B ${B}, T ${T}, pe ${pe}): nll and decoded logits`, () => {
    const cfg = config(d, layers, pe, T);
    const params = initParams(paramTable(cfg), d * 100 + T);
    const engine = new SerialEngine();
    const model = createLstm(cfg, { engine, seed: 0, params });
    const batch = randomBatch(new Rng(T), B, T, 4);
    const ref = referenceLstmForward(cfg, params, batch.inputs, B, T, refOptions(cfg, T));
    assertClose("nll", model.nll(batch), referenceNll(ref, batch.targets), FWD.abs, FWD.rel);
    if (pe !== "adaptive") { // adaptive decodes with L = context length = T here too, but keep it on nll only
      const dec = model.startDecoding();
      const last = dec.feed(batch.inputs.subarray(0, T));
      assertClose("decoder last logits", last, ref.subarray((T - 1) * V, T * V), FWD.abs, FWD.rel);
    }
    model.dispose();
  });
}

test("nll has no length limit: T = 300 ≫ context length 8 (learned table clamped) matches the reference", () => {
  const cfg = config(4, 2, { kind: "learned", beyond_table: "clamp" }, 8);
  const params = initParams(paramTable(cfg), 3);
  const model = createLstm(cfg, { engine: new SerialEngine(), seed: 0, params });
  const batch = randomBatch(new Rng(9), 2, 300);
  assertClose("nll T=300", model.nll(batch), referenceNll(referenceLstmForward(cfg, params, batch.inputs, 2, 300), batch.targets), FWD.abs, FWD.rel);
  const refuse = createLstm(config(4, 1, { kind: "learned", beyond_table: "refuse" }, 8), { engine: new SerialEngine(), seed: 0 });
  assert.throws(() => refuse.nll(randomBatch(new Rng(1), 1, 9)), (e: unknown) => e instanceof ExtraposError && /beyond the table of 8 positions/.test(e.message));
});

test("randomized sinusoidal positions: batch.positions are the encoded positions (vs the reference)", () => {
  const cfg = config(6, 1, { kind: "sinusoidal", randomized: { max_length: 64 } }, 5);
  const params = initParams(paramTable(cfg), 4);
  const model = createLstm(cfg, { engine: new SerialEngine(), seed: 0, params });
  const pos = [3, 9, 10, 40, 63];
  const batch = { ...randomBatch(new Rng(2), 2, 5), positions: Int32Array.from([...pos, ...pos]) };
  const ref = referenceLstmForward(cfg, params, batch.inputs, 2, 5, { positions: pos });
  assertClose("nll at random positions", model.nll(batch), referenceNll(ref, batch.targets), FWD.abs, FWD.rel);
  const loss = model.forwardBackward(batch, 1);
  assert.ok(Math.abs(loss - meanIgnoring(referenceNll(ref, batch.targets))) < 1e-5, `training loss ${loss}`);
  assert.throws(() => model.nll({ ...batch, positions: Int32Array.from([0, 1, 2, 3, 64, 0, 1, 2, 3, 4]) }), /must hold integers in \[0, 64\)/);
});

test("gradients = central finite differences of the float64 reference loss (d 3, 2 layers, B 3, T 5, learned)", () => {
  const cfg = config(3, 2, "learned", 5);
  const params = initParams(paramTable(cfg), 11);
  const model = createLstm(cfg, { engine: new SerialEngine(), seed: 0, params });
  const batch = randomBatch(new Rng(5), 3, 5, 7);
  model.zeroGrad();
  model.forwardBackward(batch, 0.5);
  const grads = new Map(model.gradients().map((g) => [g.name, Float64Array.from(g.data)]));
  const loss = (p: Params): number => meanIgnoring(referenceNll(referenceLstmForward(cfg, p, batch.inputs, 3, 5), batch.targets));
  const rng = new Rng(8), h = 1e-3;
  for (const spec of paramTable(cfg)) {
    const base = params.get(spec.name)!;
    const used = spec.name === "tok_emb.weight" ? Array.from(batch.inputs, (id) => id * 3 + Math.floor(rng.float() * 3)) : [];
    const idx = [...used.slice(0, 4), ...Array.from({ length: 6 }, () => Math.floor(rng.float() * base.length))];
    for (const i of idx) {
      const p = new Map(params), plus = base.slice(), minus = base.slice();
      // the weights are float32, so the stored steps are rounded: divide by the actual difference
      plus[i] = base[i]! + h; minus[i] = base[i]! - h;
      const fd = (loss(p.set(spec.name, plus)) - loss(p.set(spec.name, minus))) / (plus[i]! - minus[i]!);
      const g = grads.get(spec.name)![i]! / 0.5; // gradScale 0.5 scales the accumulated gradient
      // O(h²) truncation (~1e-7 here) + float32 gradient rounding; a wrong term would be off by ≥ 1e-3·|g|
      assert.ok(Math.abs(g - fd) <= 2e-6 + 1e-3 * Math.abs(fd), `${spec.name}[${i}]: backward ${g} vs finite difference ${fd}`);
    }
  }
});

test("decoder: any split of the feed equals token-by-token equals the full forward; survives training calls in between", () => {
  const cfg = config(5, 2, "sinusoidal", 12);
  const params = initParams(paramTable(cfg), 6);
  const model = createLstm(cfg, { engine: new SerialEngine(), seed: 0, params });
  const ids = randomBatch(new Rng(3), 1, 12).inputs;
  const ref = referenceLstmForward(cfg, params, ids, 1, 12);
  const one = model.startDecoding(), split = model.startDecoding();
  const splits = [3, 1, 5, 3];
  let at = 0;
  for (const n of splits) {
    const got = split.feed(ids.subarray(at, at + n));
    let last: Float32Array | null = null;
    for (let t = at; t < at + n; t++) {
      last = one.feed(ids.subarray(t, t + 1));
      assertClose(`token-by-token logits at ${t}`, last, ref.subarray(t * V, (t + 1) * V), FWD.abs, FWD.rel);
    }
    assert.deepEqual(got, last!, `split feed of ${n} tokens = token-by-token at ${at + n - 1}`);
    at += n;
    model.forwardBackward(randomBatch(new Rng(at), 2, 4), 1); // another arena in between; parameters unchanged
  }
  assert.equal(split.length, 12);
  assert.throws(() => split.feed(new Int32Array(0)), /non-empty Int32Array/);
  assert.throws(() => split.feed(Int32Array.of(V)), /token ids must be in \[0, 256\)/);
});

async function stepsOn(threads: number): Promise<{ losses: number[]; grads: Float32Array[]; params: Float32Array[] }> {
  const engine = await createEngine({ threads });
  try {
    const model = createLstm(config(17, 2, "sinusoidal", 9), { engine, seed: 42 });
    const losses: number[] = [];
    for (let s = 0; s < 2; s++) {
      model.zeroGrad();
      losses.push(model.forwardBackward(randomBatch(new Rng(s), 5, 9, 5), 1));
      model.optimizerStep(1e-3, 0.5);
    }
    return { losses, grads: model.gradients().map((g) => g.data.slice()), params: model.parameters().map((p) => p.data.slice()) };
  } finally {
    await engine.dispose();
  }
}

test("1 and 2 threads give bit-identical losses, gradients and parameters", async () => {
  const a = await stepsOn(1), b = await stepsOn(2);
  assert.deepEqual(b.losses, a.losses);
  assert.deepEqual(b.grads, a.grads);
  assert.deepEqual(b.params, a.params);
});

test("a few steps of training decrease the loss (memorising one batch)", () => {
  const model = createLstm(config(16, 2, "none", 16), { engine: new SerialEngine(), seed: 1 });
  const text = new TextEncoder().encode("the quick brown fox jumps over the lazy dog. ".repeat(2));
  const batch = { B: 2, T: 16, inputs: Int32Array.from([...text.subarray(0, 16), ...text.subarray(20, 36)]), targets: Int32Array.from([...text.subarray(1, 17), ...text.subarray(21, 37)]) };
  const losses: number[] = [];
  for (let s = 0; s < 30; s++) {
    model.zeroGrad();
    losses.push(model.forwardBackward(batch, 1));
    model.optimizerStep(1e-2, 1.0);
  }
  // ln 256 = 5.55 at the start; measured 5.56 → 2.87 after 30 steps (PyTorch, same sizes and optimizer,
  // its own init: 5.55 → 2.80 — both first learn the character frequencies, ≈ 2.8 nats here)
  assert.ok(losses[0]! > 5 && losses[29]! < 0.6 * losses[0]!, `losses ${losses[0]} → ${losses[29]}`);
  assert.ok(losses.slice(1).every((l, i) => l < losses[i]! + 0.05), "no large increase along the way");
});

test("memory: planned once — two steady-state steps allocate nothing; alternating eval and training does not grow", () => {
  const engine: Engine = new SerialEngine();
  const before = engine.mark();
  const model = createLstm(config(8, 2, "learned", 6), { engine, seed: 2 });
  const batch = randomBatch(new Rng(1), 3, 6);
  const step = (): void => { model.zeroGrad(); model.forwardBackward(batch, 1); model.optimizerStep(1e-3, 1); };
  step();
  const top = engine.mark(), bytes = engine.memory.buffer.byteLength;
  step();
  step();
  assert.equal(engine.mark(), top, "allocation top unchanged");
  assert.equal(engine.memory.buffer.byteLength, bytes, "memory unchanged");
  model.nll(batch);
  const evalTop = engine.mark();
  assert.ok(evalTop < top, "the eval plan is smaller than the training plan and replaces it");
  step();
  model.nll(batch);
  step();
  assert.equal(engine.mark(), top, "back to the training plan at the same place");
  model.dispose();
  assert.equal(engine.mark(), before, "dispose gives all of the model's memory back");
});

test("optimizer state round-trips: a model restored from params + AdamW state continues identically", () => {
  const cfg = config(4, 1, "none", 5);
  const batch = randomBatch(new Rng(4), 2, 5);
  const run = (m: LstmModel): void => { m.zeroGrad(); m.forwardBackward(batch, 1); m.optimizerStep(1e-2, 1); };
  const a = createLstm(cfg, { engine: new SerialEngine(), seed: 3 });
  run(a); run(a);
  const b = createLstm(cfg, { engine: new SerialEngine(), seed: 99, params: new Map(a.parameters().map((p) => [p.name, p.data.slice()])) });
  const st = a.optimizerState();
  assert.equal(st.step, 2);
  assert.ok(st.tensors.some((t) => t.name === "adam.m.lstm.0.weight_hh") && st.tensors.some((t) => t.name === "adam.v.head.bias"));
  b.loadOptimizerState(st);
  run(a); run(b);
  assert.deepEqual(b.parameters().map((p) => p.data), a.parameters().map((p) => p.data));
  assert.throws(() => b.loadOptimizerState({ step: 1, tensors: st.tensors.slice(1) }), /`adam.m.tok_emb.weight` is missing/);
});

test("bad input: one clear ExtraposError each", () => {
  const engine = new SerialEngine();
  const is = (re: RegExp) => (e: unknown): boolean => e instanceof ExtraposError && re.test(e.message);
  assert.throws(() => createLstm(parseModelConfig({ d_model: 8, n_heads: 2 }), { engine, seed: 0 }), is(/needs `model` "lstm"/));
  assert.throws(() => createLstm(config(3, 1, "adaptive"), { engine, seed: 0 }), is(/`d_model` must be even for pe "adaptive"/));
  const model = createLstm(config(4, 1, "none"), { engine, seed: 0 });
  const batch = randomBatch(new Rng(0), 2, 3);
  assert.throws(() => model.forwardBackward({ ...batch, targets: new Int32Array(6).fill(-1) }, 1), is(/every target of the batch is −1/));
  assert.throws(() => model.forwardBackward({ ...batch, inputs: Int32Array.of(0, 1, 2, 3, 4, 256) }, 1), is(/token ids in \[0, 256\), got 256 at index 5/));
  assert.throws(() => model.forwardBackward({ ...batch, T: 4 }, 1), is(/B·T = 2·4 = 8 entries, got 6/));
  assert.throws(() => model.nll(batch, { ropeScaling: { rope_type: "linear", factor: 2 } }), is(/`ropeScaling` applies to RoPE models/));
  assert.throws(() => model.optimizerStep(1e-3, 0), is(/`maxGradNorm` must be > 0/));
  // nll accepts any negative target as "ignored" and returns NaN there
  const nll = model.nll({ ...batch, targets: Int32Array.of(-5, 1, 2, 3, 4, -1) });
  assert.ok(Number.isNaN(nll[0]!) && Number.isNaN(nll[5]!) && nll.slice(1, 5).every((x) => x > 0));
  model.dispose();
  assert.throws(() => model.nll(batch), is(/was disposed/));
});
