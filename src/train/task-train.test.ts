// Training on a synthetic task (training.task): the batches are the generator's examples, the
// validation loss is the mean NLL over the answer tokens of the fixed validation examples, the task is
// stored in config.json, and a resume is bit-exact. Toy bigram model (src/train/testing/), plus one
// short run of the real transformer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import type { TokenBatch } from "../model/lm.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { IGNORE_INDEX, TASKS, taskExamples } from "../data/tasks/index.js";
import { readMetrics, type MetricRecord } from "./log/metrics.js";
import { defaultModelFactory } from "./model-factory.js";
import { trainRun, type TrainRunOptions } from "./run.js";
import { TrainingInterrupted } from "./trainer.js";
import { createToyModel } from "./testing/toy-model.js";
import { toyCorpus } from "./testing/toy-data.js";
import { TOY_MODEL_JSON, toyTraining } from "./testing/toy-run.js";

const SEED = 11; // toyTraining's seed: examples from Rng(12), validation from Rng(14)

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "extrapos-task-"));
}

function recorder(into: TokenBatch[]): TrainRunOptions["createModel"] {
  return (cfg, o) => createToyModel(cfg, { ...o, onBatch: (b) => into.push({ ...b, inputs: Int32Array.from(b.inputs), targets: Int32Array.from(b.targets) }) });
}

function opts(out: string, steps: number, every: number, extra: Partial<TrainRunOptions> = {}): TrainRunOptions {
  return { out, model: { ...TOY_MODEL_JSON }, training: toyTraining(steps, every, { task: "copy" }), progress: false, createModel: createToyModel, ...extra };
}

function losses(dir: string): Omit<MetricRecord, "tokens_per_s" | "elapsed_s">[] {
  return readMetrics(join(dir, "metrics.jsonl")).map(({ tokens_per_s: _t, elapsed_s: _e, ...r }) => r);
}

test("--task copy: batches are freshly generated examples (seed K+1), −1 targets outside the answers; the task is stored in config.json", async () => {
  const dir = tmp();
  try {
    const out = join(dir, "run");
    const seen: TokenBatch[] = [];
    await trainRun(opts(out, 6, 6, { createModel: recorder(seen), training: toyTraining(6, 6, { task: "copy", grad_accum: 2 }) }));
    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    assert.equal(cfg.training.task, "copy");
    assert.equal(cfg.data.spec, null);
    assert.match(cfg.data.description, /^synthetic task copy/);
    assert.equal(seen.length, 12, "6 steps × 2 micro-batches");
    const rng = new Rng(SEED + 1);
    const T = 16, n = 8; // copy with L = 16: 8 letters, "=", then 8 answer letters; targets at positions 8…15
    for (const batch of seen) {
      assert.equal(batch.B, 4);
      for (let b = 0; b < 4; b++) {
        const ex = TASKS.copy.generate(byteTokenizer, T, rng);
        const x = Array.from(batch.inputs.subarray(b * T, (b + 1) * T)), y = Array.from(batch.targets.subarray(b * T, (b + 1) * T));
        assert.deepEqual(x, Array.from(ex.input));
        assert.deepEqual(y.slice(0, T - n), new Array(T - n).fill(IGNORE_INDEX));
        assert.equal(String.fromCharCode(x[n]!), "=");
        assert.deepEqual(y.slice(T - n), x.slice(0, n), "copy: the answer repeats the letters before '='");
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("task validation loss = mean NLL over the answer tokens of eval_windows fixed examples (seed K+3), computed independently", async () => {
  const dir = tmp();
  try {
    const out = join(dir, "run");
    const s = await trainRun(opts(out, 5, 5));
    const { params } = loadCheckpoint(join(out, "model.safetensors"));
    const E = params.get("tok_emb.weight")!, W = params.get("head.weight")!, b = params.get("head.bias")!, d = 8;
    let sum = 0, count = 0;
    for (const ex of taskExamples("copy", byteTokenizer, 16, 4, SEED + 3)) { // eval_windows = 4
      for (let t = 0; t < 16; t++) {
        if (ex.target[t] === IGNORE_INDEX) continue;
        const z = Array.from({ length: 256 }, (_, v) => { let acc = b[v]!; for (let k = 0; k < d; k++) acc += W[v * d + k]! * E[ex.input[t]! * d + k]!; return acc; });
        const m = Math.max(...z);
        sum += m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)) - z[ex.target[t]!]!;
        count++;
      }
    }
    assert.equal(count, 4 * 8);
    assert.ok(Math.abs(s.finalValidLoss - sum / count) < 1e-9, `${s.finalValidLoss} vs ${sum / count}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--task copy: Ctrl-C then --resume (task from config.json) reproduces the uninterrupted run bit for bit", async () => {
  const dir = tmp();
  try {
    const full: TokenBatch[] = [];
    await trainRun(opts(join(dir, "full"), 14, 4, { createModel: recorder(full) }));
    const out = join(dir, "cut");
    const cut: TokenBatch[] = [];
    const ac = new AbortController();
    await assert.rejects(trainRun(opts(out, 14, 4, { createModel: recorder(cut), signal: ac.signal, onProgress: (p) => { if (p.step === 7) ac.abort(); } })), (e: unknown) => e instanceof TrainingInterrupted && e.step === 7);
    await trainRun({ out, resume: true, progress: false, createModel: recorder(cut) });
    assert.deepEqual(losses(out), losses(join(dir, "full")));
    assert.deepEqual(cut, full, "the same examples, in the same order");
    const a = loadCheckpoint(join(out, "model.safetensors")).params, b = loadCheckpoint(join(dir, "full", "model.safetensors")).params;
    for (const [k, v] of a) assert.ok(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(b.get(k)!.buffer, b.get(k)!.byteOffset, b.get(k)!.byteLength)), `param ${k}`);
    // Resuming as another task, or as text, is refused with the difference named.
    await assert.rejects(trainRun({ out, resume: true, training: { task: "reverse" }, progress: false, createModel: createToyModel }), /`training.task` is "copy" in the run, "reverse" requested/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad task input is refused before anything is written: task + text, seq_len below the task's minimum, unknown task", async () => {
  const dir = tmp();
  try {
    const out = join(dir, "run");
    await assert.rejects(trainRun(opts(out, 4, 4, { corpus: toyCorpus() })), (e: unknown) => e instanceof ExtraposError && /`training.task` \(copy\) and `corpus` are mutually exclusive/.test(e.message));
    await assert.rejects(trainRun(opts(out, 4, 4, { training: toyTraining(4, 4, { task: "passkey" }) })), /the passkey task needs seq_len \(context_length\) ≥ \d+ with the byte tokenizer, got 16/);
    await assert.rejects(trainRun(opts(out, 4, 4, { training: toyTraining(4, 4, { task: "nope" }) })), /`training.task` must be one of copy, reverse, associative-recall, passkey or null \(text\), got "nope"/);
    assert.ok(!existsSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the real transformer (d 16, 1 layer) trains on associative-recall: finite, decreasing answer loss", async () => {
  const dir = tmp();
  try {
    const s = await trainRun({
      out: join(dir, "real"), model: { d_model: 16, n_layers: 1, n_heads: 2, context_length: 16, pe: "rope" },
      training: { task: "associative-recall", batch: 8, steps: 15, lr: 1e-2, warmup: 2, eval_every: 15, eval_windows: 16, checkpoint_every: 15, log_every: 1, seed: 3, threads: 1 },
      progress: false, createModel: await defaultModelFactory(),
    });
    const m = readMetrics(join(dir, "real", "metrics.jsonl"));
    const first = m[0]!["train/loss"] as number;
    // ln 256 ≈ 5.55 at init; the answer is one of 10 digits (ln 10 ≈ 2.30), learnable from unigram statistics alone.
    assert.ok(first > 4.5 && Number.isFinite(s.finalValidLoss) && s.finalValidLoss < first - 1.5, `loss ${first} → valid ${s.finalValidLoss}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
