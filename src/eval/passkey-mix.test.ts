import { test } from "node:test";
import assert from "node:assert/strict";
import { byteTokenizer } from "../data/tokenizer.js";
import { passkeyMixExamples } from "../data/passkey-mix.js";
import { passkeyMixRetrieval } from "./passkey-mix.js";
import { fakeModel, oneHotLogits } from "./testing.js";

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
