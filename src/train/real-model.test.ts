/**
 * Integration with the engine-backed models (src/model/factory.ts). Issue 4's tests: a checkpoint written by the trainer, reloaded,
 * gives the same evaluation loss as the independent float64 reference forward over the same weights;
 * every `pe` option trains a few steps with decreasing loss on a tiny config.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PE_KINDS, type ModelConfig } from "../model/config.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import { crossEntropy, referenceForward, referenceLstmForward } from "../model/reference.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { evaluateRun } from "../eval/run.js";
import { defaultModelFactory, type ModelFactory } from "./model-factory.js";
import { trainRun } from "./run.js";
import { readRunConfig } from "./run-dir.js";
import { toyCorpus } from "./testing/toy-data.js";
import { readMetrics } from "./log/metrics.js";
import { readSafetensors } from "../model/safetensors.js";

const factory: ModelFactory = await defaultModelFactory();

const TINY = { d_model: 16, n_layers: 1, n_heads: 2, context_length: 16 };
const TRAIN = { batch: 4, steps: 12, lr: 1e-2, warmup: 2, eval_every: 12, eval_windows: 4, checkpoint_every: 12, log_every: 1, seed: 3, threads: 1 };

/** Mean NLL of non-overlapping windows of length L, from the float64 reference forward. */
function referenceLoss(cfg: ModelConfig, params: Map<string, Float32Array>, tokens: Int32Array, L: number): number {
  const W = Math.floor((tokens.length - 1) / L);
  let sum = 0;
  for (let w = 0; w < W; w++) {
    const ids = tokens.subarray(w * L, w * L + L), tgt = tokens.subarray(w * L + 1, w * L + L + 1);
    const logits = cfg.model === "lstm" ? referenceLstmForward(cfg, params, ids, 1, L) : referenceForward(cfg, params, ids, 1, L);
    sum += crossEntropy(logits, tgt, cfg.vocabSize) * L;
  }
  return sum / (W * L);
}

test("a trainer checkpoint, reloaded, evaluates to the float64 reference loss (transformer and LSTM)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-real-"));
  try {
    const text = toyCorpus();
    const tokens = byteTokenizer.encode(text.test).subarray(0, 16 * 8 + 1);
    for (const model of [{ ...TINY, pe: "alibi" }, { ...TINY, model: "lstm", pe: "sinusoidal" }]) {
      const out = join(dir, String(model.pe));
      await trainRun({ out, model, training: TRAIN, corpus: text, progress: false, createModel: factory! });
      const ckpt = loadCheckpoint(join(out, "model.safetensors"));
      assert.equal(readRunConfig(out).data.spec, null, "a corpus passed in without `data`: nothing to reload from");
      const r = await evaluateRun(out, { lengths: [16, 32], tokens, createModel: factory! });
      for (const [i, L] of [16, 32].entries()) {
        const ref = referenceLoss(ckpt.config, ckpt.params, tokens, L);
        assert.ok(Math.abs(r.loss[i]! - ref) <= 1e-5 + 1e-4 * ref, `${model.pe} L=${L}: ${r.loss[i]} vs reference ${ref}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a corpus passed in with the `data` it came from records that spec, so `eval --run` can reload it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-real-"));
  try {
    const textFile = join(dir, "corpus.txt");
    const corpus = toyCorpus();
    writeFileSync(textFile, corpus.train + corpus.valid + corpus.test);
    const out = join(dir, "run");
    await trainRun({ out, model: { ...TINY, pe: "alibi" }, training: { ...TRAIN, steps: 2 }, corpus, data: { kind: "text", data: textFile }, progress: false, createModel: factory });
    assert.deepEqual(readRunConfig(out).data.spec, { kind: "text", data: textFile });
    const r = await evaluateRun(out, { lengths: [16], maxTokens: 64, createModel: factory });
    assert.ok(Number.isFinite(r.loss[0]!), "evaluated on the recorded data without passing it again");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every pe option trains a few steps with decreasing loss on a tiny config", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-real-"));
  try {
    const corpus = toyCorpus();
    const variants: Record<string, unknown>[] = [...PE_KINDS.map((kind) => ({ kind })), { kind: "rope", randomized: { max_length: 64 } }, { kind: "alibi", randomized: { max_length: 64 } }];
    for (const pe of variants) {
      const s = await trainRun({ out: join(dir, `${pe.kind}-${pe.randomized ? "r" : ""}`), model: { ...TINY, pe }, training: TRAIN, corpus, progress: false, createModel: factory! });
      assert.ok(Number.isFinite(s.finalValidLoss) && s.finalValidLoss < Math.log(256) - 0.5, `${JSON.stringify(pe)}: valid loss ${s.finalValidLoss} after ${s.steps} steps (ln 256 = 5.55)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Transformer-XL with segment memory (lanes, memory across steps): abort + resume = the uninterrupted run bit for bit; the memory is in the train state", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-real-"));
  try {
    const corpus = toyCorpus();
    const model = { ...TINY, n_layers: 2, pe: { kind: "transformer-xl", mem_len: 16 } };
    const training = { ...TRAIN, steps: 10, eval_every: 4, checkpoint_every: 3, grad_accum: 2 };
    const full = await trainRun({ out: join(dir, "full"), model, training, corpus, progress: false, createModel: factory });
    const ac = new AbortController();
    await assert.rejects(trainRun({ out: join(dir, "cut"), model, training, corpus, progress: false, createModel: factory, signal: ac.signal, onProgress: (p) => { if (p.step === 5) ac.abort(); } }), /interrupted at step 5/);
    const state = readSafetensors(join(dir, "cut", "train_state.safetensors"));
    const meta = JSON.parse(state.metadata.state!) as { sampler: { lanes: number; drawn: number }; memoryShapes: Record<string, number[]> };
    assert.deepEqual(meta.sampler.lanes, TRAIN.batch);
    assert.equal(meta.sampler.drawn, 10, "5 steps of 2 micro-batches: 10 consecutive segments");
    assert.deepEqual(meta.memoryShapes, { "mem.0": [4, 16, 16], "mem.1": [4, 16, 16] });
    assert.ok(state.tensors.has("mem.mem.0") && state.tensors.has("mem.mem.1"));
    const resumed = await trainRun({ out: join(dir, "cut"), resume: true, corpus, progress: false, createModel: factory });
    const strip = (d: string): unknown[] => readMetrics(join(d, "metrics.jsonl")).map(({ tokens_per_s: _t, elapsed_s: _e, ...r }) => r);
    assert.deepEqual(strip(join(dir, "cut")), strip(join(dir, "full")));
    assert.equal(resumed.finalValidLoss, full.finalValidLoss);
    const a = loadCheckpoint(join(dir, "full", "model.safetensors")).params, b = loadCheckpoint(join(dir, "cut", "model.safetensors")).params;
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, k);
    // a run whose resume dropped the memory would differ: without memory the same model trains to other losses
    const noMem = await trainRun({ out: join(dir, "nomem"), model: { ...model, pe: { kind: "transformer-xl" } }, training, corpus, progress: false, createModel: factory });
    assert.notEqual(noMem.finalTrainLoss, full.finalTrainLoss);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
