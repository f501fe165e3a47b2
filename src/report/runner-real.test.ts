import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetricsWriter } from "../train/log/metrics.js";
import type { LoadedCorpus } from "../data/corpus.js";
import { makeRealRunner, pickLossPerPosition, readTrainingCurve, realRunner, type RealEvalOptions, type RealTrainOptions } from "./runner-real.js";

const CORPUS: LoadedCorpus = { train: "abc", valid: "d", test: "e", description: "test corpus" };

test("real-runner adapter: maps requests onto trainRun/evaluateRun options and their results back, corpus loaded once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-runner-real-"));
  try {
    let loads = 0;
    const seen: { train?: RealTrainOptions; eval?: [string, RealEvalOptions]; trains: RealTrainOptions[]; evals: [string, RealEvalOptions][] } = { trains: [], evals: [] };
    const trainRun = async (o: RealTrainOptions) => {
      seen.train = o;
      seen.trains.push(o);
      mkdirSync(o.out, { recursive: true });
      if (o.training.passkey_mix) writeFileSync(join(o.out, "model.safetensors"), "stand-in"); // what the evaluation looks for
      o.onProgress({ step: 3, loss: 2.5, tokensPerSecond: 1234 });
      const m = new MetricsWriter(join(o.out, "metrics.jsonl"));
      m.append({ step: 5, train_loss: 2.0 });
      m.append({ step: 10, train_loss: 1.5, valid_loss: 1.7 });
      m.append({ step: 10, lr: 0.001 }); // a record without losses is not a curve point
      m.close();
      return { runDir: o.out, steps: 10, finalTrainLoss: 1.5, finalValidLoss: 1.7, wallSeconds: 3, tokensPerSecond: 1000 };
    };
    const evaluateRun = async (runDir: string, o: RealEvalOptions) => {
      seen.eval = [runDir, o];
      seen.evals.push([runDir, o]);
      const pk = o.passkeyMix > 0 ? { passkey_mix_acc: [1, 0.5], passkey_mix_token_acc: [1, 0.75], passkey_mix_trial_acc: [[1, 1], [0.8, 0.7]] } : {};
      return { lengths: [8, 16], loss: [1, 2], ppl: [Math.E, Math.E ** 2], tokens: [80, 160], loss_per_position: [[1, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]], ...pk };
    };
    const runner = makeRealRunner(trainRun, evaluateRun, "my.txt", (spec) => {
      loads++;
      assert.deepEqual(spec, { kind: "text", data: "my.txt" });
      return CORPUS;
    });
    const progress: unknown[] = [];
    const t = await runner.train({ method: "alibi", runDir: dir, modelJson: { pe: "alibi" }, steps: 10, batch: 4, seqLen: 8, lr: 1e-3, seed: 7, threads: 2, onProgress: (p) => progress.push(p) });
    assert.deepEqual(progress, [{ step: 3, loss: 2.5, tokensPerSecond: 1234 }]);
    assert.equal(seen.train!.out, dir);
    assert.deepEqual(seen.train!.training, { steps: 10, batch: 4, lr: 1e-3, seed: 7, threads: 2 });
    assert.deepEqual(seen.train!.model, { pe: "alibi", context_length: 8 }, "the training length is the model's context length");
    assert.equal(seen.train!.progress, false);
    assert.deepEqual(seen.train!.data, { kind: "text", data: "my.txt" }, "the run records where its corpus came from");
    assert.equal(seen.train!.corpus, CORPUS);
    assert.deepEqual(t.curve.step, [5, 10]);
    assert.deepEqual(t.curve.trainLoss, [2.0, 1.5]);
    assert.ok(Number.isNaN(t.curve.validLoss[0]!) && t.curve.validLoss[1] === 1.7);
    const e = await runner.evaluate({ runDir: dir, lengths: [8, 16], ropeScaling: { rope_type: "yarn", factor: 2 }, passkeyTrials: 3, maxTokensPerLength: 100, lossPerPositionLength: 16, seed: 0, threads: 1 });
    assert.equal(seen.eval![0], dir);
    assert.deepEqual(seen.eval![1].ropeScaling, { rope_type: "yarn", factor: 2 });
    assert.deepEqual(e.passkeyAcc, [null, null], "no passkey fine-tuned copy in the run: no passkey");
    assert.equal(seen.evals.length, 1);
    assert.equal(seen.eval![1].passkeyMix, 0, "the language model itself is not asked the passkey");
    assert.deepEqual(e.lossPerPosition, { length: 16, loss: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] });
    await runner.evaluate({ runDir: dir, lengths: [8], ropeScaling: null, passkeyTrials: 0, maxTokensPerLength: 10, lossPerPositionLength: null, seed: 0, threads: 1 });
    assert.ok(!("ropeScaling" in seen.eval![1]), "no scaling → the option is left out");
    assert.equal(loads, 1);

    // with passkey fine-tuning: a second training into runDir/passkey from the trained model, scored there
    const pkRunDir = join(dir, "pk-run");
    seen.trains.length = 0;
    seen.evals.length = 0;
    const steps: number[] = [];
    await runner.train({ method: "rope", runDir: pkRunDir, modelJson: { pe: "rope" }, steps: 10, batch: 4, seqLen: 32, lr: 1e-2, passkeySteps: 6, passkeyLr: 3e-3, seed: 7, threads: 2, onProgress: (p) => steps.push(p.step) });
    assert.deepEqual(steps, [3, 13], "the fine-tuning's steps are counted on from the language model's 10 (one progress bar)");
    assert.equal(seen.trains.length, 2);
    assert.deepEqual(seen.trains[0]!.training, { steps: 10, batch: 4, lr: 1e-2, seed: 7, threads: 2 }, "the language model trains as without the passkey");
    assert.equal(seen.trains[1]!.out, join(pkRunDir, "passkey"));
    assert.deepEqual(seen.trains[1]!.training, { steps: 6, batch: 4, lr: 3e-3, seed: 7, passkey_mix: 1, init_from: pkRunDir, threads: 2 });
    assert.deepEqual(seen.trains[1]!.model, { pe: "rope", context_length: 32 });
    const pe = await runner.evaluate({ runDir: pkRunDir, lengths: [8, 16], ropeScaling: { rope_type: "yarn", factor: 2 }, passkeyTrials: 5, maxTokensPerLength: 100, lossPerPositionLength: 16, seed: 3, threads: 1 });
    assert.deepEqual(seen.evals.map(([d]) => d), [pkRunDir, join(pkRunDir, "passkey")]);
    assert.equal(seen.evals[0]![1].passkeyMix, 0);
    assert.equal(seen.evals[1]![1].passkeyMix, 5);
    assert.equal(seen.evals[1]![1].passkeySeed, 3);
    assert.equal(seen.evals[1]![1].maxTokens, 1, "the copy's perplexity is not used: one window per length");
    assert.deepEqual(seen.evals[1]![1].ropeScaling, { rope_type: "yarn", factor: 2 }, "a variant asks the passkey with its scaling");
    assert.deepEqual(pe.passkeyAcc, [1, 0.5]);
    assert.deepEqual(pe.passkeyTokenAcc, [1, 0.75]);
    assert.deepEqual(pe.passkeyTrialAcc, [[1, 1], [0.8, 0.7]], "each trial's score, for the paired comparison");
    assert.equal(pe.ppl[1], Math.E ** 2, "perplexity from the language model");
    seen.evals.length = 0;
    const cache = { sinks: 0, recent: 32, segment: 32 };
    await runner.evaluate({ runDir: pkRunDir, lengths: [64], ropeScaling: null, passkeyTrials: 5, maxTokensPerLength: 100, lossPerPositionLength: null, seed: 3, threads: 1, cache });
    assert.deepEqual(seen.evals.map(([, o]) => o.cache), [cache, cache], "a method read in segments (transformer-xl-mem) is asked the passkey in the same segments");

    // the fine-tuning's own batch and distance curriculum, when the request has them
    const cRunDir = join(dir, "pk-curriculum");
    seen.trains.length = 0;
    await runner.train({ method: "rope", runDir: cRunDir, modelJson: { pe: "rope" }, steps: 10, batch: 4, seqLen: 32, lr: 1e-2, passkeySteps: 6, passkeyLr: 5e-3, passkeyBatch: 2, passkeyCurriculum: 0.5, seed: 7, threads: 2, onProgress: () => undefined });
    assert.deepEqual(seen.trains[0]!.training, { steps: 10, batch: 4, lr: 1e-2, seed: 7, threads: 2 }, "the language model keeps its batch");
    assert.deepEqual(seen.trains[1]!.training, { steps: 6, batch: 2, lr: 5e-3, seed: 7, passkey_mix: 1, init_from: cRunDir, passkey_curriculum: 0.5, threads: 2 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("pickLossPerPosition: per-length curves or a single curve of the asked length; otherwise null", () => {
  const r = { lengths: [4, 8], loss: [0, 0], ppl: [1, 1], tokens: [1, 1] };
  assert.deepEqual(pickLossPerPosition({ ...r, loss_per_position: [[1, 2, 3, 4], [8, 7, 6, 5, 4, 3, 2, 1]] }, 8), { length: 8, loss: [8, 7, 6, 5, 4, 3, 2, 1] });
  assert.deepEqual(pickLossPerPosition({ ...r, loss_per_position: [1, 2, 3, 4] }, 4), { length: 4, loss: [1, 2, 3, 4] });
  assert.equal(pickLossPerPosition({ ...r, loss_per_position: [1, 2, 3] }, 4), null);
  assert.equal(pickLossPerPosition(r, 8), null);
  assert.equal(pickLossPerPosition({ ...r, loss_per_position: [[1]] }, null), null);
  // bucketed curves are expanded to one entry per position (x = position, not bucket index)
  assert.deepEqual(pickLossPerPosition({ ...r, loss_per_position: [[1, 2, 3, 4], [5, 6, 7]], position_bucket_size: [1, 3] }, 8), { length: 8, loss: [5, 5, 5, 6, 6, 6, 7, 7] });
});

test("readTrainingCurve reads TensorBoard-style keys too; realRunner is the real adapter", () => {
  const dir = mkdtempSync(join(tmpdir(), "extrapos-runner-real-"));
  try {
    const m = new MetricsWriter(join(dir, "metrics.jsonl"));
    m.append({ step: 1, "train/loss": 3, "valid/loss": 4 });
    m.close();
    assert.deepEqual(readTrainingCurve(dir), { step: [1], trainLoss: [3], validLoss: [4] });
    assert.deepEqual(readTrainingCurve(join(dir, "missing")), { step: [], trainLoss: [], validLoss: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(typeof realRunner(null).train, "function");
});
