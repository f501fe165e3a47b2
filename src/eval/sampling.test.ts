import { test } from "node:test";
import assert from "node:assert/strict";
import { samplingDistribution, sampleNextToken, validateSampling } from "./sampling.js";
import { Rng } from "../pe/random.js";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("temperature 1 with no filters is the softmax (hand-computed)", () => {
  const p = samplingDistribution([0, Math.log(2), Math.log(5)], { temperature: 1, topK: 0, topP: 1 });
  close(p[0]!, 1 / 8); close(p[1]!, 2 / 8); close(p[2]!, 5 / 8);
});

test("temperature 0 is greedy; ties go to the lowest id", () => {
  assert.deepEqual(Array.from(samplingDistribution([1, 3, 3, 2], { temperature: 0, topK: 0, topP: 1 })), [0, 1, 0, 0]);
});

test("top-k keeps the k largest and renormalises", () => {
  const p = samplingDistribution([0, Math.log(2), Math.log(5), Math.log(1)], { temperature: 1, topK: 2, topP: 1 });
  close(p[2]!, 5 / 7); close(p[1]!, 2 / 7); close(p[0]!, 0); close(p[3]!, 0);
});

test("top-p keeps the smallest prefix reaching the mass (at least one token)", () => {
  // probabilities 5/8, 2/8, 1/8: top-p 0.6 → {5/8}; top-p 0.7 → {5/8, 2/8}
  const l = [0, Math.log(2), Math.log(5)];
  assert.deepEqual(Array.from(samplingDistribution(l, { temperature: 1, topK: 0, topP: 0.6 })), [0, 0, 1]);
  const p = samplingDistribution(l, { temperature: 1, topK: 0, topP: 0.7 });
  close(p[2]!, 5 / 7); close(p[1]!, 2 / 7); close(p[0]!, 0);
});

test("sampling frequencies follow the distribution; same seed same draws", () => {
  const l = [0, Math.log(2), Math.log(5)];
  const o = { temperature: 1, topK: 0, topP: 1 };
  const r = new Rng(5);
  const counts = [0, 0, 0];
  for (let i = 0; i < 40000; i++) counts[sampleNextToken(l, o, r)]!++;
  close(counts[2]! / 40000, 5 / 8, 0.01); close(counts[0]! / 40000, 1 / 8, 0.01);
  const a = new Rng(9), b = new Rng(9);
  for (let i = 0; i < 50; i++) assert.equal(sampleNextToken(l, o, a), sampleNextToken(l, o, b));
});

test("bad options are refused with the field named", () => {
  assert.throws(() => validateSampling({ temperature: -1, topK: 0, topP: 1 }), /`temperature`/);
  assert.throws(() => validateSampling({ temperature: 1, topK: 1.5, topP: 1 }), /`topK`/);
  assert.throws(() => validateSampling({ temperature: 1, topK: 0, topP: 0 }), /`topP`/);
});
