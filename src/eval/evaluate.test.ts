import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { parseModelConfig } from "../model/config.js";
import { initParams, paramTable } from "../model/params.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { passkeyTrials } from "../data/tasks/index.js";
import { createToyModel } from "../train/testing/toy-model.js";
import { TOY_MODEL_JSON } from "../train/testing/toy-run.js";
import { bucketCurve, evaluate } from "./evaluate.js";
import { passkeyAccuracy } from "./passkey.js";
import { fakeModel, oneHotLogits } from "./testing.js";

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol + tol * Math.abs(b), `${a} vs ${b}`);
const randomTokens = (n: number, seed: number): Int32Array => { const r = new Rng(seed); return Int32Array.from({ length: n }, () => r.int(256)); };

test("a uniform model gives loss = ln V exactly, ppl = V, ⌊(N−1)/L⌋·L tokens (hand computation)", async () => {
  const cfg = parseModelConfig(TOY_MODEL_JSON);
  const zeros = new Map(paramTable(cfg).map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1))]));
  const model = await createToyModel(cfg, { seed: 0, params: zeros });
  const tokens = randomTokens(1000, 1);
  const r = evaluate(model, tokens, { lengths: [7, 64, 999] });
  assert.deepEqual(r.lengths, [7, 64, 999]);
  assert.deepEqual(r.tokens, [Math.floor(999 / 7) * 7, Math.floor(999 / 64) * 64, 999]);
  for (let i = 0; i < 3; i++) {
    close(r.loss[i]!, Math.log(256));
    close(r.ppl[i]!, 256, 1e-10);
    assert.equal(r.loss_per_position![i]!.length, r.lengths[i]);
    for (const v of r.loss_per_position![i]!) close(v, Math.log(256));
  }
  assert.deepEqual(r.position_bucket_size, [1, 1, 1]);
});

test("the toy bigram model: loss and loss per position equal an independent float64 computation over the windows", async () => {
  const cfg = parseModelConfig(TOY_MODEL_JSON);
  const params = initParams(paramTable(cfg), 5);
  const model = await createToyModel(cfg, { seed: 0, params });
  const E = params.get("tok_emb.weight")!, W = params.get("head.weight")!, b = params.get("head.bias")!, d = cfg.dModel;
  const nllRef = (x: number, y: number): number => {
    const z = Array.from({ length: 256 }, (_, v) => { let s = b[v]!; for (let k = 0; k < d; k++) s += W[v * d + k]! * E[x * d + k]!; return s; });
    const m = Math.max(...z);
    return -(z[y]! - m - Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)));
  };
  const N = 203, L = 20, tokens = randomTokens(N, 2);
  const r = evaluate(model, tokens, { lengths: [L], batchTokens: 50 }); // B = ⌊50/20⌋ = 2: 10 windows in 5 calls
  let sum = 0;
  const curve = new Array(L).fill(0);
  const nw = Math.floor((N - 1) / L);
  for (let w = 0; w < nw; w++) {
    for (let p = 0; p < L; p++) {
      const v = nllRef(tokens[w * L + p]!, tokens[w * L + p + 1]!);
      sum += v;
      curve[p] += v / nw;
    }
  }
  assert.equal(r.tokens[0], nw * L);
  close(r.loss[0]!, sum / (nw * L), 1e-9);
  r.loss_per_position![0]!.forEach((v, p) => close(v, curve[p], 1e-9));
});

/** NLL = window position + target/1000: every aggregate has a closed form. */
const positional = fakeModel({
  nll: (batch) => Float64Array.from({ length: batch.B * batch.T }, (_, i) => (i % batch.T) + batch.targets[i]! / 1000),
});
const iota = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

test("window conventions, hand-computed: non-overlapping and sliding (N = 10, L = 4, S = 2)", () => {
  const tokens = iota(10);
  // Non-overlapping: windows at 0, 4 (8 + 4 > 9 dropped); targets x1…x8 at positions 0…3 twice.
  const a = evaluate(positional, tokens, { lengths: [4] });
  assert.equal(a.tokens[0], 8);
  close(a.loss[0]!, (2 * (0 + 1 + 2 + 3)) / 8 + (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8) / 8 / 1000);
  // Per position p: windows 0 and 4 predict x_{p+1} and x_{p+5}: p + (2p + 6)/2/1000.
  a.loss_per_position![0]!.forEach((v, p) => close(v, p + (p + 3) / 1000));
  // Sliding S = 2: windows at 0 (scores p 0…3 → x1…x4), 2 (p 2,3 → x5,x6), 4 (p 2,3 → x7,x8).
  const s = evaluate(positional, tokens, { lengths: [4], stride: 2 });
  assert.equal(s.tokens[0], 8);
  close(s.loss[0]!, (0 + 1 + 2 + 3 + 2 + 3 + 2 + 3) / 8 + (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8) / 8 / 1000);
  // The per-position curve counts every position of the 3 windows: p + mean(x_{p+1}, x_{p+3}, x_{p+5})/1000.
  s.loss_per_position![0]!.forEach((v, p) => close(v, p + (p + 3) / 1000));
});

test("loss per position in buckets for long windows; bucketCurve by hand", () => {
  assert.deepEqual(bucketCurve(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 3), [1, 4, 7, 9]);
  const r = evaluate(positional, iota(31), { lengths: [10], positionBuckets: 4 });
  assert.deepEqual(r.position_bucket_size, [3]);
  // Windows at 0, 10, 20: mean target at position p is (p+1 + p+11 + p+21)/3 = p + 11.
  const expected = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]].map((ps) => ps.reduce((a, p) => a + p + (p + 11) / 1000, 0) / ps.length);
  r.loss_per_position![0]!.forEach((v, i) => close(v, expected[i]!));
  assert.equal(evaluate(positional, iota(31), { lengths: [10], lossPerPosition: false }).loss_per_position, undefined);
});

test("--max-tokens takes evenly spaced windows; rope scaling reaches the model", () => {
  const starts: number[] = [];
  const spy = fakeModel({ nll: (batch) => { for (let r = 0; r < batch.B; r++) starts.push(batch.inputs[r * batch.T]!); return new Float64Array(batch.B * batch.T).fill(1); } });
  const r = evaluate(spy, iota(1001), { lengths: [10], maxTokens: 25, ropeScaling: { rope_type: "yarn", factor: 4 } });
  // 100 windows; K = ⌈25/10⌉ = 3 at indices 0, 33, 66.
  assert.deepEqual(starts, [0, 330, 660]);
  assert.equal(r.tokens[0], 30);
  assert.deepEqual(spy.evalOptions[0], { ropeScaling: { rope_type: "yarn", factor: 4 } });
});

test("bad lengths and strides are refused with one clear message", () => {
  const t = iota(100);
  const bad = (o: Parameters<typeof evaluate>[2], re: RegExp): void => assert.throws(() => evaluate(positional, t, o), (e: unknown) => e instanceof ExtraposError && re.test(e.message));
  bad({ lengths: [0] }, /--lengths must be positive integers, got 0/);
  bad({ lengths: [64, -3] }, /--lengths must be positive integers, got -3/);
  bad({ lengths: [] }, /at least one length/);
  bad({ lengths: [100] }, /length 100 needs at least 101 tokens, the evaluation text has 100/);
  bad({ lengths: [8, 16], stride: 12 }, /--stride must be an integer in \[1, L\] for every length, got 12 with length 8/);
});

/**
 * An oracle that reads the passkey from the last W bytes of its context (byte tokenizer) and answers
 * it; otherwise it predicts "0". It solves a trial iff "pass key is DDDDD." stays within the last W
 * bytes up to the last answer position: keyPosition + 5 ≥ L − W (the info piece is "\nThe pass key is …").
 */
function windowedOracle(W: number): ReturnType<typeof fakeModel> {
  return fakeModel({
    logits: (ctx) => {
      const text = byteTokenizer.decode(ctx.slice(-W));
      const key = /pass key is (\d{5})\./.exec(text)?.[1];
      const full = byteTokenizer.decode(ctx);
      const soFar = full.slice(full.lastIndexOf("The pass key is") + "The pass key is".length);
      const want = key === undefined ? "0" : ` ${key}`[soFar.length] ?? "0";
      return oneHotLogits(want.charCodeAt(0));
    },
  });
}

test("passkey accuracy: teacher-forced exact match through the decoder (oracles with a hand-derived expectation)", () => {
  const L = 600, trials = 9, W = 300;
  assert.equal(passkeyAccuracy(windowedOracle(10_000), byteTokenizer, L, { trials, seed: 3 }), 1);
  const examples = passkeyTrials(byteTokenizer, L, trials, 3);
  const expected = examples.filter((e) => e.keyPosition + 5 >= L - W).length / trials;
  assert.ok(expected > 0 && expected < 1, `expectation ${expected} must discriminate`);
  const model = windowedOracle(W);
  assert.equal(passkeyAccuracy(model, byteTokenizer, L, { trials, seed: 3 }), expected);
  // The decoder saw the prompt once, then one token per answer position (5 digits after the space: 5 feeds).
  assert.equal(model.feeds.length, trials);
  for (const f of model.feeds) {
    assert.equal(f.length, 6);
    assert.equal(f.reduce((a, x) => a + x.length, 0), L);
  }
  assert.equal(passkeyAccuracy(model, byteTokenizer, 50, { trials }), null, "shorter than the template");
});

test("randomPositions: every model call is repeated `draws` times with distinct, reproducible seeds, and each token's NLL is the mean over the draws", () => {
  // The fake's NLL is 1 + (seed mod 7) for every token, so the loss of a call is known from its seed.
  const seen: number[] = [];
  const model = fakeModel({ nll: (b, o) => { const s = o!.randomPositions!.seed; seen.push(s); return new Float64Array(b.B * b.T).fill(1 + (s % 7)); } });
  const tokens = randomTokens(1001, 3);
  const r = evaluate(model, tokens, { lengths: [100], batchTokens: 400, randomPositions: { draws: 3, seed: 9 }, windowLosses: true }); // 10 windows, B = 4 → 3 calls
  assert.equal(seen.length, 9);
  assert.equal(new Set(seen).size, 9, "a fresh draw for every call and draw");
  assert.equal(r.positions, "random");
  assert.equal(r.position_draws, 3);
  // windows of call c: mean over its 3 draws
  const perCall = [0, 1, 2].map((c) => (seen.slice(3 * c, 3 * c + 3).reduce((a, s) => a + 1 + (s % 7), 0)) / 3);
  const perWindow = [...Array(4).fill(perCall[0]), ...Array(4).fill(perCall[1]), ...Array(2).fill(perCall[2])];
  perWindow.forEach((v, i) => close(r.window_loss![0]![i]!, v));
  close(r.loss[0]!, perWindow.reduce((a, b) => a + b, 0) / 10);
  const again: number[] = [];
  evaluate(fakeModel({ nll: (b, o) => { again.push(o!.randomPositions!.seed); return new Float64Array(b.B * b.T).fill(1); } }), tokens, { lengths: [100], batchTokens: 400, randomPositions: { draws: 3, seed: 9 } });
  assert.deepEqual(again, seen, "same seed → same draws");
  // plain: one call per batch, no randomPositions
  const plain = fakeModel({ nll: (b) => new Float64Array(b.B * b.T).fill(2) });
  const p = evaluate(plain, tokens, { lengths: [100], batchTokens: 400 });
  assert.equal(p.positions, "plain");
  assert.equal(p.position_draws, 1);
  assert.ok(plain.evalOptions.every((o) => o?.randomPositions === undefined));
  assert.deepEqual(p.ppl_ci95, [[Math.exp(2), Math.exp(2)]], "constant window losses → a zero-width interval");
});
