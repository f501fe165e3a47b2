/**
 * Validation of randomized-position models follows the reference protocol like evaluation: each batch scored
 * with VALIDATION_POSITION_DRAWS draws of sorted random positions (fixed seeds), each token's NLL averaged over
 * the draws; models without randomized positions are scored once. Checked against explicit position ids drawn
 * by `randomizedPositions` per row from the draw seeds (what evaluation's randomPositions means), averaged here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { drawSeed } from "../model/draw-seed.js";
import { randomIds, randomParams, tinyConfig, tinyModel } from "../model/gpt/testing.js";
import { Rng } from "../pe/random.js";
import { randomizedPositions } from "../pe/randomized.js";
import { meanWindowLoss, validationWindows, VALIDATION_POSITION_DRAWS, VALIDATION_POSITION_SEED } from "./source.js";

const T = 12, MAX = 40;
const tokens = randomIds(4 * T + 1, 256, 5);
const windows = validationWindows(tokens.length - 1, T, 3);

/** Mean NLL over the windows (one batch of all of them) with explicit positions per draw, averaged over `draws` draws. */
function expected(model: ReturnType<typeof tinyModel>, draws: number): number {
  const B = windows.length;
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  windows.forEach((w, r) => { inputs.set(tokens.subarray(w.start, w.start + T), r * T); targets.set(tokens.subarray(w.start + 1, w.start + T + 1), r * T); });
  const mean = new Float64Array(B * T);
  for (let d = 0; d < draws; d++) {
    const rng = new Rng(drawSeed(VALIDATION_POSITION_SEED, T, 0, d));
    const positions = new Int32Array(B * T);
    for (let r = 0; r < B; r++) positions.set(randomizedPositions(T, MAX, rng), r * T);
    const v = model.nll({ B, T, inputs, targets, positions });
    for (let i = 0; i < v.length; i++) mean[i]! += v[i]! / draws;
  }
  return mean.reduce((a, b) => a + b, 0) / mean.length;
}

test(`validation of a randomized-position model averages ${VALIDATION_POSITION_DRAWS} position draws per token; a plain model is scored once`, () => {
  assert.equal(VALIDATION_POSITION_DRAWS, 3);
  const cfg = tinyConfig({ kind: "rope", randomized: { max_length: MAX } });
  const model = tinyModel(cfg, randomParams(cfg, 2));
  const got = meanWindowLoss(model, tokens, windows, T, windows.length);
  const want = expected(model, VALIDATION_POSITION_DRAWS);
  assert.ok(Math.abs(got - want) <= 1e-9, `averaged over the draws: ${got} vs ${want}`);
  assert.ok(Math.abs(got - expected(model, 1)) > 1e-4, "differs from one draw (the draws matter)");
  const plainCfg = tinyConfig({ kind: "rope" });
  const plain = tinyModel(plainCfg, randomParams(plainCfg, 2));
  const B = windows.length, inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  windows.forEach((w, r) => { inputs.set(tokens.subarray(w.start, w.start + T), r * T); targets.set(tokens.subarray(w.start + 1, w.start + T + 1), r * T); });
  const once = plain.nll({ B, T, inputs, targets });
  assert.equal(meanWindowLoss(plain, tokens, windows, T, B), once.reduce((a, b) => a + b, 0) / once.length, "a plain model: one call, the same number");
});
