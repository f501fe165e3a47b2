import { test } from "node:test";
import assert from "node:assert/strict";
import { byteTokenizer } from "../data/tokenizer.js";
import { passkeyMixExamples } from "../data/passkey-mix.js";
import { passkeyMixRetrieval } from "./passkey-mix.js";
import { fakeModel, oneHotLogits } from "./testing.js";
import { exampleBatch } from "../train/source.js";
import { predictAnswers } from "./task.js";
import { randomParams, tinyConfig, tinyModel } from "../model/gpt/testing.js";

function argmaxOf(x: ArrayLike<number>): number {
  let best = 0;
  for (let v = 1; v < x.length; v++) if (x[v]! > x[best]!) best = v;
  return best;
}

const TEXT = byteTokenizer.encode("abcdefghijklmnopqrstuvwxyz ".repeat(200)); // no digits, no ':'

/** Answers the key it can read in the last W bytes of its context (" key:DDDDD."), else "x" (never a digit). */
function windowedOracle(W: number) {
  return fakeModel({
    logits: (ctx) => {
      const key = /key:(\d{5})\./.exec(byteTokenizer.decode(ctx.slice(-W)))?.[1];
      const full = byteTokenizer.decode(ctx);
      const soFar = full.slice(full.lastIndexOf(" key:") + 5);
      return oneHotLogits((key?.[soFar.length] ?? "x").charCodeAt(0));
    },
  });
}

test("mixed passkey retrieval: teacher-forced exact match and per-digit accuracy (oracles with hand-derived expectations)", () => {
  const full = passkeyMixRetrieval(windowedOracle(10_000), byteTokenizer, TEXT, 200, { trials: 5 });
  assert.deepEqual({ a: full!.accuracy, t: full!.tokenAccuracy }, { a: 1, t: 1 });
  // n = 200: F = 201 − 21 = 180 filler tokens, keys at 0, 45, 90, 135, 180; the answer starts at 196, so the first
  // digit is predicted from context [0, 196) and the oracle sees [96, 196): the pieces at 135 and 180 (11 bytes) are
  // inside for every digit, the one at 90 is cut → 2 of 5 trials, every digit of them, none of the others
  assert.deepEqual(passkeyMixExamples(byteTokenizer, TEXT, 200, 5, 1234).map((e) => e.keyPosition), [0, 45, 90, 135, 180]);
  const near = passkeyMixRetrieval(windowedOracle(100), byteTokenizer, TEXT, 200, { trials: 5 })!;
  assert.equal(near.accuracy, 0.4);
  assert.equal(near.tokenAccuracy, 0.4);
  assert.ok(near.accuracyCi95[0] <= 0.4 && near.accuracyCi95[1] >= 0.4 && near.accuracyCi95[1] - near.accuracyCi95[0] > 0);
  const none = passkeyMixRetrieval(windowedOracle(8), byteTokenizer, TEXT, 200, { trials: 5 })!;
  assert.deepEqual([none.accuracy, none.tokenAccuracy], [0, 0]);
  // lengths that cannot hold the template give null; the shortest that can is measured
  // (21 template tokens of the n + 1: n = 20 leaves no filler)
  assert.equal(passkeyMixRetrieval(windowedOracle(10_000), byteTokenizer, TEXT, 20, { trials: 2 }), null);
  assert.equal(passkeyMixRetrieval(windowedOracle(10_000), byteTokenizer, TEXT, 21, { trials: 2 })!.accuracy, 1);
});

// The bench's transformer-xl-mem is read in segments of L with a memory of L; its passkey is read the same way
// (`cache`), not as one whole window that attends over every token (which is transformer-xl without memory).
test("mixed passkey through Transformer-XL's segment cache: the float64 segment decoder's argmax, and a key beyond the memory's reach is not read", () => {
  const cfg = tinyConfig({ kind: "transformer-xl", mem_len: 8 }, { context_length: 32 });
  const model = tinyModel(cfg, randomParams(cfg, 7));
  const S = 32, M = 8, n = 96, cache = { sinks: 0, recent: M, segment: S };
  const examples = passkeyMixExamples(byteTokenizer, TEXT, n, 3, 1234);
  const batch = exampleBatch(examples);
  const segmented = predictAnswers(model, batch, {}, cache), whole = predictAnswers(model, batch, {});
  examples.forEach((ex, r) => {
    const first = ex.target.findIndex((t) => t !== -1);
    const ref = model.startFloat64RollingDecoding({}, cache);
    let logits: ArrayLike<number> = ref.feed(ex.input.subarray(0, first + 1));
    for (let t = first; t < n; t++) {
      assert.equal(segmented[r * n + t], argmaxOf(logits), `trial ${r} position ${t}: the engine's segmented prediction = the float64 segment decoder's`);
      if (t + 1 < n) logits = ref.feed(ex.input.subarray(t + 1, t + 2));
    }
  });
  assert.notDeepEqual(segmented, whole, "reading in segments with memory is not reading the whole window");
  // the last segment [64, 96) sees 56… through layer 2's memory, whose states saw 32 − M = 24… through layer 1's
  // memory: tokens 0…23 cannot matter (the depth-0 trial's key is among them)
  const changed = { ...batch, inputs: Int32Array.from(batch.inputs, (v, i) => (i % n < 24 ? (v + 1) % 256 : v)) };
  assert.deepEqual(predictAnswers(model, changed, {}, cache), segmented, "tokens beyond the memory's reach do not change the answer");
  assert.notDeepEqual(predictAnswers(model, changed, {}), whole, "read whole, the same change does (the test can tell)");
  const scored = passkeyMixRetrieval(model, byteTokenizer, TEXT, n, { trials: 3, cache })!;
  const right = examples.map((ex, r) => { let k = 0; for (let t = 0; t < n; t++) if (ex.target[t] !== -1 && segmented[r * n + t] === ex.target[t]) k++; return k / 5; });
  assert.deepEqual(scored.trialTokenAccuracy, right, "passkeyMixRetrieval scores the segmented predictions");
});
