import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { parseModelConfig } from "../model/config.js";
import type { TokenBatch, TrainableModel } from "../model/lm.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { IGNORE_INDEX, taskExamples } from "../data/tasks/index.js";
import { exampleBatch } from "../train/source.js";
import { defaultModelFactory } from "../train/model-factory.js";
import { trainRun } from "../train/run.js";
import { createToyModel } from "../train/testing/toy-model.js";
import { toyCorpus } from "../train/testing/toy-data.js";
import { TOY_MODEL_JSON, toyTraining } from "../train/testing/toy-run.js";
import { passkeyAccuracy } from "./passkey.js";
import { evaluateRun, evaluateTaskRun } from "./run.js";
import { evaluateTask, predictAnswers } from "./task.js";
import { fakeModel, oneHotLogits } from "./testing.js";

const ch = (c: string): number => c.charCodeAt(0);

/** NLL = window position / 1000 at every answer position (NaN elsewhere, as the models return). */
function positionNll(batch: TokenBatch): Float64Array {
  return Float64Array.from({ length: batch.B * batch.T }, (_, i) => (batch.targets[i]! < 0 ? NaN : (i % batch.T) / 1000));
}

/**
 * Two models from one next-token rule `next(prefix)` (prefix = input tokens 0…t, the prediction is for
 * position t): one answers through `predict` (one pass per batch), the other only through the decoder.
 */
function oracles(next: (prefix: number[]) => number): { withPredict: TrainableModel; decoderOnly: TrainableModel } {
  const decoderOnly = fakeModel({ logits: (ctx) => oneHotLogits(next(ctx)), nll: positionNll });
  const predict = (batch: TokenBatch): Int32Array => {
    const out = new Int32Array(batch.B * batch.T);
    for (let b = 0; b < batch.B; b++) {
      const row = Array.from(batch.inputs.subarray(b * batch.T, (b + 1) * batch.T));
      for (let t = 0; t < batch.T; t++) out[b * batch.T + t] = next(row.slice(0, t + 1));
    }
    return out;
  };
  return { withPredict: { ...fakeModel({ nll: positionNll }), predict }, decoderOnly };
}

/**
 * A copy oracle that is right only at positions < P (like an encoding that fails past its training
 * length): after "=" at index e, position t predicts the letter at (pad ? 1 : 0) + t − e.
 */
function copyOracle(P: number): ReturnType<typeof oracles> {
  return oracles((prefix) => {
    const t = prefix.length - 1, e = prefix.indexOf(ch("="));
    if (e < 0 || t >= P) return 0;
    return prefix[(prefix[0] === ch(" ") ? 1 : 0) + t - e]!;
  });
}

test("copy accuracy with an oracle right only at positions < 32: 1 up to L = 32, 0 beyond (hand-computed); loss on the answer tokens by hand", () => {
  for (const model of Object.values(copyOracle(32))) {
    const r = evaluateTask(model, byteTokenizer, "copy", { lengths: [8, 32, 33, 64], trials: 7, batchTokens: 50 }); // B = 6, 1, 1, 1
    assert.deepEqual(Object.keys(r), ["task", "lengths", "accuracy", "token_accuracy", "accuracy_ci95", "token_accuracy_ci95", "loss", "trials", "positions"]);
    assert.equal(r.task, "copy");
    assert.equal(r.trials, 7);
    assert.deepEqual(r.lengths, [8, 32, 33, 64]);
    // Answer positions are e … L−1 (e = index of "="): L = 8 → 4…7, all < 32; L = 32 → 16…31; L = 33 (a pad
    // opens the input) → 17…32, and 32 is not < 32; L = 64 → 32…63.
    assert.deepEqual(r.accuracy, [1, 1, 0, 0]);
    // Per token: L = 33 gets 15 of its 16 answer tokens right (all but position 32), L = 64 none.
    assert.deepEqual(r.token_accuracy, [1, 1, 15 / 16, 0]);
    assert.deepEqual(r.accuracy_ci95, [[1, 1], [1, 1], [0, 0], [0, 0]]);
    assert.deepEqual(r.token_accuracy_ci95[2], [15 / 16, 15 / 16]);
    assert.equal(r.positions, "plain");
    // Mean of t/1000 over the answer positions: (e + L − 1)/2/1000.
    const want = [5.5, 23.5, 24.5, 47.5].map((v) => v / 1000);
    r.loss.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-15, `L=${r.lengths[i]}: ${v} vs ${want[i]}`));
  }
});

test("passkey accuracy with an oracle that retrieves keys only before position 240: 3 of 5 depths at L = 400 (hand-computed)", () => {
  // Byte tokenizer, L = 400: fixed template tokens = 149 (description + "\n") + 60 (info line with its two
  // "\n") + 38 ("\nWhat is the pass key? The pass key is") + 6 (" 12345") = 253 (counted by hand from
  // the template strings), filler F = 401 − 253 = 148, info line at 149 + round(depth·148) = 149, 186,
  // 223, 260, 297 for depths 0, ¼, ½, ¾, 1 → the first three are before 240: accuracy 3/5.
  const { withPredict, decoderOnly } = oracles((prefix) => {
    const text = byteTokenizer.decode(prefix);
    const info = /\nThe pass key is (\d{5})\./.exec(text);
    const soFar = text.slice(text.lastIndexOf("The pass key is") + "The pass key is".length);
    const want = info && info.index < 240 ? ` ${info[1]}`[soFar.length] : undefined;
    return want === undefined ? 0 : ch(want);
  });
  for (const model of [withPredict, decoderOnly]) {
    assert.deepEqual(evaluateTask(model, byteTokenizer, "passkey", { lengths: [400], trials: 5 }).accuracy, [0.6]);
    assert.equal(passkeyAccuracy(model, byteTokenizer, 400, { trials: 5 }), 0.6, "--passkey scores the same trials the same way");
  }
});

test("the real transformer: predictions through predict() equal those through the KV-cache decoder, at and beyond the training length", async () => {
  const factory = await defaultModelFactory();
  const cfg = parseModelConfig({ d_model: 16, n_layers: 1, n_heads: 2, context_length: 16, pe: "rope" });
  const model = await factory(cfg, { seed: 5, threads: 1 });
  try {
    assert.ok(model.predict, "the transformer offers predict()");
    const decoderOnly = { startDecoding: model.startDecoding.bind(model), nll: model.nll.bind(model) } as unknown as TrainableModel;
    for (const L of [16, 33]) {
      const batch = exampleBatch(taskExamples("reverse", byteTokenizer, L, 3, 2));
      const a = predictAnswers(model, batch), b = predictAnswers(decoderOnly, batch);
      assert.deepEqual(Array.from(a), Array.from(b), `L=${L}`);
      batch.targets.forEach((t, i) => assert.equal(a[i]! === IGNORE_INDEX, t === IGNORE_INDEX, `prediction exactly at the answer positions (${i})`));
    }
  } finally {
    await model.dispose();
  }
});

test("bad task evaluations are refused with one clear message", () => {
  const { withPredict: m } = copyOracle(8);
  const bad = (task: string, o: Parameters<typeof evaluateTask>[3], re: RegExp): void =>
    assert.throws(() => evaluateTask(m, byteTokenizer, task, o), (e: unknown) => e instanceof ExtraposError && re.test(e.message));
  bad("nope", { lengths: [8], trials: 1 }, /`task` must be one of copy, reverse, associative-recall, passkey, got "nope"/);
  bad("copy", { lengths: [8], trials: 0 }, /--trials must be an integer ≥ 1 \(examples per length\), got 0/);
  bad("copy", { lengths: [8, 1], trials: 2 }, /the copy task needs every length in --lengths ≥ 2 with the byte tokenizer, got 1/);
  bad("passkey", { lengths: [64], trials: 2 }, /the passkey task needs every length in --lengths ≥ \d+ with the byte tokenizer, got 64/);
  bad("copy", { lengths: [], trials: 2 }, /at least one length/);
  bad("copy", { lengths: [0], trials: 2 }, /--lengths must be positive integers, got 0/);
});

test("evaluateTaskRun: the run's own task by default; a text run needs a task; evaluateRun on a task run points to --task", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-taskeval-"));
  try {
    const taskRun = join(dir, "copy"), textRun = join(dir, "text");
    await trainRun({ out: taskRun, model: { ...TOY_MODEL_JSON }, training: toyTraining(3, 3, { task: "copy" }), progress: false, createModel: createToyModel });
    await trainRun({ out: textRun, model: { ...TOY_MODEL_JSON }, training: toyTraining(3, 3), corpus: toyCorpus(), progress: false, createModel: createToyModel });
    const own = await evaluateTaskRun(taskRun, { lengths: [16, 32], trials: 4, createModel: createToyModel });
    assert.equal(own.task, "copy");
    assert.equal(own.trials, 4);
    assert.ok(own.loss.every((v) => Number.isFinite(v) && v > 0));
    const other = await evaluateTaskRun(textRun, { task: "reverse", lengths: [9], createModel: createToyModel });
    assert.equal(other.task, "reverse");
    assert.equal(other.trials, 100, "default trials");
    await assert.rejects(evaluateTaskRun(textRun, { lengths: [9], createModel: createToyModel }), /was not trained on a task; name one with --task/);
    await assert.rejects(evaluateRun(taskRun, { lengths: [16], createModel: createToyModel }), /was trained on the copy task, not text; evaluate it with --task copy/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
