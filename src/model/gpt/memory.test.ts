/**
 * Memory (style.md P5): a steady-state training step allocates nothing (no growth of the wasm memory and
 * no arena allocation across steps); switching between training and evaluation shapes re-plans into
 * the same space; the evaluation plan of a 16384-token window of the tiny preset does not keep
 * per-layer activations; the head's chunked loss equals the reference.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialEngine } from "../../engine/engine.js";
import { planArena } from "../../engine/memory/plan.js";
import { DEFAULT_MODEL_CONFIG, parseModelConfig } from "../config.js";
import { crossEntropy } from "../reference.js";
import { evalTable, logitRows, trainingTable } from "./acts.js";
import { createEncoding } from "./encodings/index.js";
import { randomIds, randomParams, referenceLogits, tinyConfig, tinyModel } from "./testing.js";

test("two training steps after the first allocate nothing: wasm memory and arena top unchanged", () => {
  const cfg = parseModelConfig({ d_model: 64, n_layers: 2, n_heads: 4, context_length: 32, pe: "kerple-log" });
  const engine = new SerialEngine();
  const model = tinyModel(cfg, randomParams(cfg, 1), engine);
  const B = 4, T = 32, batch = { B, T, inputs: randomIds(B * T, 256, 2), targets: randomIds(B * T, 256, 3) };
  const step = (): void => { model.zeroGrad(); model.forwardBackward(batch, 1); model.optimizerStep(3e-4, 1); };
  step();
  const bytes = engine.memory.buffer.byteLength, top = engine.mark();
  step();
  step();
  assert.equal(engine.memory.buffer.byteLength, bytes, "memory.buffer.byteLength");
  assert.equal(engine.mark(), top, "arena top");
});

test("alternating training and evaluation shapes re-plans into the same space (no growth after one cycle)", () => {
  const cfg = tinyConfig("alibi");
  const engine = new SerialEngine();
  const model = tinyModel(cfg, randomParams(cfg, 4), engine);
  const cycle = (): void => {
    model.forwardBackward({ B: 2, T: 12, inputs: randomIds(24, 256, 5), targets: randomIds(24, 256, 6) }, 1);
    model.nll({ B: 1, T: 40, inputs: randomIds(40, 256, 7), targets: randomIds(40, 256, 8) });
  };
  cycle();
  const bytes = engine.memory.buffer.byteLength, top = engine.mark();
  cycle();
  cycle();
  assert.equal(engine.memory.buffer.byteLength, bytes);
  assert.equal(engine.mark(), top);
});

test("the evaluation plan of the tiny preset at 16384 tokens is O(T·d): ≈ 122 MB, vs ≈ 820 MB for a training plan", () => {
  const cfg = DEFAULT_MODEL_CONFIG; // tiny: d 128, 4 layers, 4 heads, V 256, rope
  const shape = { B: 1, T: 16384, span: 16384, training: false, queryChunk: 64 };
  const env = { cfg, engine: new SerialEngine(), params: null!, grads: null! };
  const extra = createEncoding(env).tensors(shape);
  const evalBytes = planArena(evalTable(cfg, shape, extra)).totalBytes;
  const trainBytes = planArena(trainingTable(cfg, { ...shape, training: true }, extra)).totalBytes;
  // by hand: x, ln, att 3·8 MiB; qkv + q, k, v 2·24 MiB; fch 32 MiB; logits 4 MiB; rope tables 2·4 MiB; ids, lse, rest ≈ 2 MiB
  assert.ok(evalBytes < 130e6, `eval plan ${evalBytes} bytes`);
  assert.ok(trainBytes > 6 * evalBytes, `training plan ${trainBytes} bytes keeps every layer`);
  assert.equal(logitRows(256, 16384), 4096);
});

test("the chunked head (64 logit rows at a time for V = 20000) gives the reference NLL per token", () => {
  const cfg = tinyConfig("rope", { vocab_size: 20000 });
  const model = tinyModel(cfg, randomParams(cfg, 9));
  const B = 2, T = 100, V = 20000;
  assert.equal(logitRows(V, B * T), 64);
  const ids = randomIds(B * T, V, 10), targets = randomIds(B * T, V, 11);
  targets[5] = -1;
  const nll = model.nll({ B, T, inputs: ids, targets });
  const ref = referenceLogits(model, model.snapshot(), ids, B, T);
  for (const n of [0, 63, 64, 127, 128, 199]) {
    const r = crossEntropy(ref.subarray(n * V, (n + 1) * V), [targets[n]!], V);
    assert.ok(Math.abs(nll[n]! - r) < 3e-5, `token ${n}: ${nll[n]} vs ${r}`);
  }
  assert.ok(Number.isNaN(nll[5]!), "ignored target → NaN");
});
