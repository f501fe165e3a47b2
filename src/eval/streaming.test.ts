/**
 * Streaming evaluation (`evaluate` with a rolling cache, streaming.ts) on a real transformer: while a
 * window fits the cache (L ≤ sinks + recent) it equals the ordinary evaluation (one forward per
 * window); past it the result is finite, uses the same windows and differs (tokens were evicted).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../pe/random.js";
import { randomParams, tinyConfig, tinyModel } from "../model/gpt/testing.js";
import { evaluate } from "./evaluate.js";

const tokens = (() => { const r = new Rng(3); return Int32Array.from({ length: 400 }, () => r.int(256)); })();

test("streaming evaluation = ordinary evaluation while windows fit the cache; differs and stays finite past it", () => {
  const cfg = tinyConfig("rope", { context_length: 16 });
  const model = tinyModel(cfg, randomParams(cfg, 8));
  const plain = evaluate(model, tokens, { lengths: [8, 16], maxTokens: 64 });
  const streamed = evaluate(model, tokens, { lengths: [8, 16], maxTokens: 64, cache: { sinks: 4, recent: 12 } });
  assert.deepEqual(streamed.tokens, plain.tokens);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(streamed.loss[i]! - plain.loss[i]!) < 1e-5, `${streamed.loss[i]} vs ${plain.loss[i]}`);
  const long = evaluate(model, tokens, { lengths: [64], maxTokens: 128 });
  const longStreamed = evaluate(model, tokens, { lengths: [64], maxTokens: 128, cache: { sinks: 2, recent: 6 } });
  assert.ok(Number.isFinite(longStreamed.loss[0]!) && Math.abs(longStreamed.loss[0]! - long.loss[0]!) > 1e-4);
  assert.throws(() => evaluate(model, tokens, { lengths: [8], stride: 4, cache: { sinks: 4, recent: 4 } }), /does not combine with --stride/);
});
