import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { bootstrapMeanCI, incompleteBeta, mean, pairedTTest, quantile, sampleStd, studentTSf } from "./stats.js";

const close = (a: number, b: number, tol: number): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

test("mean and sample std by hand: [2, 4, 4, 4, 5, 5, 7, 9] → 5 and √(32/7)", () => {
  const xs = [2, 4, 4, 4, 5, 5, 7, 9];
  assert.equal(mean(xs), 5);
  close(sampleStd(xs)!, Math.sqrt(32 / 7), 1e-15);
  assert.equal(sampleStd([3]), null);
});

test("quantile is type 7 (numpy's default): [1, 2, 3, 4] → 1.75 at .25, 2.5 at .5, 3.7 at .9; order does not matter", () => {
  close(quantile([4, 1, 3, 2], 0.25), 1.75, 1e-15);
  close(quantile([1, 2, 3, 4], 0.5), 2.5, 1e-15);
  close(quantile([1, 2, 3, 4], 0.9), 3.7, 1e-15);
  assert.equal(quantile([1, 2, 3, 4], 0), 1);
  assert.equal(quantile([1, 2, 3, 4], 1), 4);
  assert.equal(quantile([7], 0.3), 7);
  assert.throws(() => quantile([1, 2], 1.5), ExtraposError);
  assert.throws(() => quantile([], 0.5), ExtraposError);
});

test("Student t tail: df = 1 is Cauchy (½ − atan(t)/π), df = 2 is ½(1 − t/√(t² + 2)) (closed forms)", () => {
  for (const t of [0, 0.3, 1, 2.5, 10, -1.7]) {
    close(studentTSf(t, 1), 0.5 - Math.atan(t) / Math.PI, 1e-12);
    close(studentTSf(t, 2), 0.5 * (1 - t / Math.sqrt(t * t + 2)), 1e-12);
  }
  // I_x(1, 1) = x; I_x(a, 1) = x^a
  close(incompleteBeta(0.37, 1, 1), 0.37, 1e-13);
  close(incompleteBeta(0.6, 3, 1), 0.6 ** 3, 1e-13);
});

test("paired t-test on Student's sleep data gives R's t.test(…, paired = TRUE): t = −4.0621, df = 9, p = 0.002833", () => {
  // R: with(sleep, t.test(extra[group == 1], extra[group == 2], paired = TRUE))
  //    t = -4.0621, df = 9, p-value = 0.002833, mean difference -1.58
  const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
  const r = pairedTTest(g1, g2);
  assert.equal(r.n, 10);
  assert.equal(r.df, 9);
  close(r.meanDiff, -1.58, 1e-12);
  close(r.t, -4.0621, 5e-5);
  close(r.p, 0.002833, 5e-7);
  // symmetric in the order of the pair
  close(pairedTTest(g2, g1).p, r.p, 1e-15);
});

test("paired t-test edge cases: identical samples p = 1; a constant shift p = 0; unequal sizes refused", () => {
  assert.equal(pairedTTest([1, 2, 3], [1, 2, 3]).p, 1);
  const shift = pairedTTest([2, 3, 4], [1, 2, 3]);
  assert.equal(shift.p, 0);
  assert.equal(shift.t, Infinity);
  assert.throws(() => pairedTTest([1, 2], [1, 2, 3]), ExtraposError);
  assert.throws(() => pairedTTest([1, NaN], [1, 2]), ExtraposError);
});

test("bootstrap: two values {0, 1} → the resampled means are 0, ½, 1 with p = ¼, ½, ¼, so the 95 % interval is [0, 1]", () => {
  const r = bootstrapMeanCI([0, 1], { resamples: 4000, seed: 3 });
  assert.equal(r.mean, 0.5);
  assert.equal(r.lo, 0);
  assert.equal(r.hi, 1);
  // a 40 % interval covers only the middle value (P(½) = ½ > 40 %)
  const mid = bootstrapMeanCI([0, 1], { resamples: 4000, level: 0.4, seed: 3 });
  assert.equal(mid.lo, 0.5);
  assert.equal(mid.hi, 0.5);
});

test("bootstrap of a constant is the constant; the same seed gives the same interval", () => {
  assert.deepEqual(bootstrapMeanCI([2.5, 2.5, 2.5]), { mean: 2.5, lo: 2.5, hi: 2.5 });
  const xs = Array.from({ length: 50 }, (_, i) => Math.sin(i));
  assert.deepEqual(bootstrapMeanCI(xs, { seed: 7 }), bootstrapMeanCI(xs, { seed: 7 }));
});

test("bootstrap of 400 standard normals ≈ mean ± 1.96·s/√n (the normal-theory interval, within 15 %)", () => {
  const rng = new Rng(11);
  const xs = Array.from({ length: 400 }, () => rng.gaussian());
  const r = bootstrapMeanCI(xs, { resamples: 4000, seed: 1 });
  const half = (1.96 * sampleStd(xs)!) / Math.sqrt(xs.length);
  close(r.hi - r.mean, half, 0.15 * half);
  close(r.mean - r.lo, half, 0.15 * half);
});
