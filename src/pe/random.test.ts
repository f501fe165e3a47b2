import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "./random.js";

test("xoshiro128** matches the reference algorithm on a known state", () => {
  // Reference: the C code of xoshiro128** (prng.di.unimi.it) run by hand in float-free integer
  // arithmetic below, from state {1,2,3,4}: result = rotl(s1*5, 7)*9.
  const r = Rng.fromState([1, 2, 3, 4, null]);
  const first = r.uint32();
  assert.equal(first, (((2 * 5) << 7) | ((2 * 5) >>> 25)) * 9);
  // Second output from the updated state (computed with the C reference's update rule by hand):
  // t = 2<<9 = 1024; s2 = 3^1 = 2; s3 = 4^2 = 6; s1 = 2^2 = 0; s0 = 1^6 = 7; s2 ^= 1024 → 1026; s3 = rotl(6, 11) = 12288
  // result = rotl(s1*5, 7)*9 = 0
  assert.equal(r.uint32(), 0);
});

test("same seed, same stream; different seeds differ; floats in [0,1); ints unbiased range", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xa = Array.from({ length: 100 }, () => a.float());
  const xb = Array.from({ length: 100 }, () => b.float());
  const xc = Array.from({ length: 100 }, () => c.float());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  for (const x of xa) assert.ok(x >= 0 && x < 1);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 50000; i++) counts[a.int(5)]++;
  for (const n of counts) assert.ok(Math.abs(n - 10000) < 500, `bucket count ${n}`);
});

test("gaussian has mean 0 and variance 1 (within sampling error), and state round-trips", () => {
  const r = new Rng(3);
  let s = 0, s2 = 0;
  const n = 40000;
  for (let i = 0; i < n; i++) { const g = r.gaussian(); s += g; s2 += g * g; }
  assert.ok(Math.abs(s / n) < 0.03, `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.04, `var ${s2 / n}`);
  r.gaussian();
  const copy = Rng.fromState(JSON.parse(JSON.stringify(r.state())));
  for (let i = 0; i < 10; i++) assert.equal(copy.gaussian(), r.gaussian());
});

test("state survives JSON with and without a spare gaussian", () => {
  const r = new Rng(11);
  r.gaussian(); r.gaussian(); // no spare pending
  const a = Rng.fromState(JSON.parse(JSON.stringify(r.state())));
  assert.equal(a.gaussian(), r.gaussian());
  assert.throws(() => Rng.fromState([1, 2, 3] as number[]), /expected/);
});
