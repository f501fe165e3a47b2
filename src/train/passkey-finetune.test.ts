/**
 * `training.passkey_mix` and `training.init_from` (the bench's passkey fine-tuning, docs/experiment.md "Passkey"):
 * parsed and recorded like every training key, a new run starts from another run's weights, and a run with the
 * mix trains on passkey rows and resumes bit-identically.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "../model/checkpoint.js";
import { parseTrainingConfig, trainingConfigToJson } from "./config.js";
import { defaultModelFactory, type ModelFactory } from "./model-factory.js";
import { trainRun } from "./run.js";
import { toyCorpus } from "./testing/toy-data.js";

const factory: ModelFactory = await defaultModelFactory();
const MODEL = { d_model: 16, n_layers: 1, n_heads: 2, context_length: 32, pe: { kind: "rope" } };
const TRAIN = { batch: 4, steps: 6, lr: 1e-2, warmup: 1, eval_every: 6, eval_windows: 2, checkpoint_every: 3, log_every: 1, seed: 3, threads: 1 };
const corpus = toyCorpus(6000);

function params(dir: string): Map<string, Float32Array> {
  return loadCheckpoint(join(dir, "model.safetensors")).params;
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let d = 0;
  for (const [k, v] of a) v.forEach((x, i) => (d = Math.max(d, Math.abs(x - b.get(k)![i]!))));
  return d;
}

test("training config: passkey_mix in [0, 1] for text only, init_from a path; both recorded only when set", () => {
  assert.equal(parseTrainingConfig({}).passkeyMix, 0);
  assert.equal(parseTrainingConfig({}).initFrom, null);
  const t = parseTrainingConfig({ passkey_mix: 0.5, init_from: "runs/lm" });
  assert.equal(t.passkeyMix, 0.5);
  assert.equal(t.initFrom, "runs/lm");
  assert.equal(trainingConfigToJson(t).passkey_mix, 0.5);
  assert.equal(trainingConfigToJson(t).init_from, "runs/lm");
  assert.ok(!("passkey_mix" in trainingConfigToJson(parseTrainingConfig({}))) && !("init_from" in trainingConfigToJson(parseTrainingConfig({}))), "runs from before the keys compare equal");
  assert.throws(() => parseTrainingConfig({ passkey_mix: 1.5 }), /`training.passkey_mix` must be a fraction in \[0, 1\].*got 1.5/);
  assert.throws(() => parseTrainingConfig({ passkey_mix: -0.1 }), /passkey_mix/);
  assert.throws(() => parseTrainingConfig({ passkey_mix: 0.5, task: "copy" }), /does not apply to task training/);
  assert.throws(() => parseTrainingConfig({ init_from: 3 }), /`training.init_from` must be a run folder/);
  assert.throws(() => parseTrainingConfig({ init_from: "" }), /init_from/);
});

test("training config: passkey_curriculum a fraction of the steps, only with passkey rows, recorded only when set", () => {
  assert.equal(parseTrainingConfig({}).passkeyCurriculum, 0);
  const t = parseTrainingConfig({ passkey_mix: 1, passkey_curriculum: 0.5 });
  assert.equal(t.passkeyCurriculum, 0.5);
  assert.equal(trainingConfigToJson(t).passkey_curriculum, 0.5);
  assert.ok(!("passkey_curriculum" in trainingConfigToJson(parseTrainingConfig({ passkey_mix: 1 }))), "runs from before the key compare equal");
  assert.throws(() => parseTrainingConfig({ passkey_mix: 1, passkey_curriculum: 1.5 }), /`training.passkey_curriculum` must be a fraction in \[0, 1\].*got 1.5/);
  assert.throws(() => parseTrainingConfig({ passkey_mix: 1, passkey_curriculum: "half" }), /passkey_curriculum/);
  assert.throws(() => parseTrainingConfig({ passkey_curriculum: 0.5 }), /needs `training.passkey_mix` > 0/);
});

/**
 * `training` trains other weights than `baseline` (by more than 1e-4: `what` says why), and a copy of it
 * interrupted after step 3 and resumed ends bit for bit where the uninterrupted run ends.
 */
async function changesAndResumes(prefix: string, training: Record<string, unknown>, baseline: Record<string, unknown>, what: string, model: Record<string, unknown> = MODEL): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    const whole = join(dir, "whole"), cut = join(dir, "cut"), base = join(dir, "base");
    await trainRun({ out: whole, model, training, corpus, progress: false, createModel: factory });
    await trainRun({ out: base, model, training: baseline, corpus, progress: false, createModel: factory });
    assert.ok(maxDiff(params(whole), params(base)) > 1e-4, what);
    const ac = new AbortController();
    await assert.rejects(trainRun({ out: cut, model, training, corpus, progress: false, createModel: factory, signal: ac.signal, onProgress: (p) => { if (p.step === 3) ac.abort(); } }));
    await trainRun({ out: cut, resume: true, corpus, progress: false, createModel: factory });
    assert.equal(maxDiff(params(whole), params(cut)), 0, "resumed run = uninterrupted run, bit for bit");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("passkey_curriculum: changes the training rows, and an interrupted run resumes bit-identically", () =>
  changesAndResumes("extrapos-pkcurr-", { ...TRAIN, passkey_mix: 1, passkey_curriculum: 1 }, { ...TRAIN, passkey_mix: 1 }, "the curriculum moves the keys"));

test("init_from: a new run starts from the given run's weights (not a fresh init); a missing checkpoint is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-initfrom-"));
  try {
    const lm = join(dir, "lm"), ft = join(dir, "ft"), fresh = join(dir, "fresh");
    await trainRun({ out: lm, model: MODEL, training: TRAIN, corpus, progress: false, createModel: factory });
    // one step at a negligible learning rate: the weights stay where they started
    const still = { ...TRAIN, steps: 1, lr: 1e-12, min_lr: 1e-12, warmup: 0, checkpoint_every: 1, eval_every: 1 };
    await trainRun({ out: ft, model: MODEL, training: { ...still, init_from: lm, passkey_mix: 1 }, corpus, progress: false, createModel: factory });
    await trainRun({ out: fresh, model: MODEL, training: still, corpus, progress: false, createModel: factory });
    const a = params(lm);
    assert.ok(maxDiff(a, params(ft)) < 1e-6, `fine-tuned copy starts at the language model (max diff ${maxDiff(a, params(ft))})`);
    assert.ok(maxDiff(a, params(fresh)) > 1e-3, "without init_from the run starts from its own random init");
    const cfg = JSON.parse(readFileSync(join(ft, "config.json"), "utf8"));
    assert.equal(cfg.training.init_from, lm);
    assert.equal(cfg.training.passkey_mix, 1);
    await assert.rejects(trainRun({ out: join(dir, "bad"), model: MODEL, training: { ...still, init_from: join(dir, "nowhere") }, corpus, progress: false, createModel: factory }), /init_from.*has no model.safetensors/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("passkey_mix: the mix changes the training batches, and an interrupted run resumes bit-identically", () =>
  changesAndResumes("extrapos-pkmix-", { ...TRAIN, passkey_mix: 0.5 }, TRAIN, "the mix changes the batches"));

// Transformer-XL with segment memory (the bench's transformer-xl-mem): passkey rows are independent examples, so
// they are drawn as without memory and every batch is read with an empty memory. Until this was handled,
// `passkey_mix` was silently dropped for mem_len > 0 (the run read lanes of plain text): the bench's fine-tuned
// transformer-xl-mem copies never saw a passkey row and scored below chance (README "Passkey").
const XL = { ...MODEL, pe: { kind: "transformer-xl", mem_len: 32 } };

test("passkey_mix with segment memory (mem_len > 0): the passkey rows change the training, and an interrupted run resumes bit-identically", () =>
  changesAndResumes("extrapos-pkxl-", { ...TRAIN, passkey_mix: 1, passkey_curriculum: 0.5 }, TRAIN, "with memory, passkey rows are trained (not the lanes of plain text)", XL));

test("passkey_mix with segment memory: every batch is read with an empty memory — the same weights as the model without memory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-pkxl0-"));
  try {
    const training = { ...TRAIN, passkey_mix: 1 };
    await trainRun({ out: join(dir, "mem"), model: XL, training, corpus, progress: false, createModel: factory });
    await trainRun({ out: join(dir, "nomem"), model: { ...MODEL, pe: { kind: "transformer-xl" } }, training, corpus, progress: false, createModel: factory });
    const d = maxDiff(params(join(dir, "mem")), params(join(dir, "nomem")));
    assert.ok(d < 1e-6, `a memory carried from one batch's rows into the next batch's unrelated rows would change the weights (max diff ${d})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
