import { test } from "node:test";
import assert from "node:assert/strict";
import { ExtraposError } from "../pe/errors.js";
import { Rng } from "../pe/random.js";
import { bootstrapMeanCI, compareSeeds, incompleteBeta, mean, pairedTTest, quantile, sampleStd, studentTSf, welchFromSummary, welchTTest } from "./stats.js";

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

// Expected values of the tests below: /usr/bin/python3 scripts/stats_reference.py (plain Python means and
// variances, Student's t tail from mpmath's regularized incomplete beta; nothing of extrapos).

test("Welch's t-test on Student's sleep data gives R's t.test(extra ~ group, data = sleep): t = −1.8608, df = 17.776, p = 0.07939", () => {
  const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
  const r = welchTTest(g1, g2);
  // mpmath: t = -1.860813467486853, df = 17.77647351617849, p = 0.07939414018735814
  close(r.t, -1.860813467486853, 1e-12);
  close(r.df, 17.77647351617849, 1e-11);
  close(r.p, 0.07939414018735814, 1e-11);
  close(r.meanDiff, -1.58, 1e-12);
  close(welchTTest(g2, g1).p, r.p, 1e-15);
});

test("Welch: three seeds a side with unequal spread (df ≈ 2.19), and one side without spread (df = n_b − 1) — mpmath values", () => {
  const r = welchTTest([2.0012, 2.005, 1.993], [2.0602, 2.0311, 2.088]);
  close(r.t, -3.572491622417805, 1e-11);
  close(r.df, 2.1854492957159204, 1e-11);
  close(r.p, 0.06152176610651309, 1e-11);
  const z = welchTTest([1, 1, 1], [0.5, 1.5, 2.5, 0]);
  close(z.t, -0.22549380840084865, 1e-12);
  assert.equal(z.df, 3);
  close(z.p, 0.8360832258079627, 1e-11);
  // from summary statistics: the same numbers
  const s = welchFromSummary(mean([2.0012, 2.005, 1.993]), sampleStd([2.0012, 2.005, 1.993])!, 3, mean([2.0602, 2.0311, 2.088]), sampleStd([2.0602, 2.0311, 2.088])!, 3);
  close(s.p, r.p, 1e-14);
});

test("Welch edge cases: no spread on either side → p = 1 for equal means, 0 otherwise; fewer than 2 values or a negative std refused", () => {
  assert.equal(welchTTest([2, 2], [2, 2, 2]).p, 1);
  const d = welchTTest([3, 3], [2, 2]);
  assert.equal(d.p, 0);
  assert.equal(d.t, Infinity);
  assert.throws(() => welchTTest([1], [1, 2]), ExtraposError);
  assert.throws(() => welchFromSummary(1, -0.1, 3, 1, 0.1, 3), ExtraposError);
  assert.throws(() => welchFromSummary(1, 0.1, 1, 1, 0.1, 3), ExtraposError);
});

// Three seeds × four windows. B is A + 0.1 with window-level noise: over the windows (seed-averaged) the
// shift is significant (p = 0.00073), over the seeds it is not (Welch p = 0.574) — the seed spread (0.2)
// dwarfs it. The old window test would have called it.
const A = new Map([[0, [2.0, 2.2, 1.8, 2.4]], [1, [2.3, 2.5, 2.1, 2.7]], [2, [1.9, 2.1, 1.7, 2.3]]]);
const B = new Map([[0, [2.12, 2.28, 1.93, 2.49]], [1, [2.38, 2.61, 2.22, 2.79]], [2, [2.01, 2.18, 1.82, 2.41]]]);
const C = new Map([[0, [2.35, 2.5, 2.2, 2.7]], [1, [2.52, 2.73, 2.31, 2.88]], [2, [2.19, 2.42, 2.02, 2.61]]]);

test("compareSeeds: ≥ 2 seeds a side → Welch over per-seed means (mpmath values); the window test would differ", () => {
  const ab = compareSeeds(A, B)!;
  assert.equal(ab.test, "welch-seeds");
  close(ab.t, -0.6120640133968575, 1e-12);
  close(ab.df, 3.999266110746475, 1e-11);
  close(ab.p, 0.5735828913263271, 1e-11);
  const ac = compareSeeds(A, C)!;
  close(ac.p, 0.1331854363740629, 1e-11);
  close(ac.df, 3.642903431885661, 1e-11);
  // what the windows alone say (seed-averaged, paired): significant
  const avg = (m: Map<number, number[]>) => [0, 1, 2, 3].map((i) => mean([...m.values()].map((w) => w[i]!)));
  close(pairedTTest(avg(A), avg(B)).p, 0.0007334242182108904, 1e-12);
});

test("compareSeeds: the same trained models (eval variants) → paired over the seeds both have; one seed → windows only", () => {
  const same = compareSeeds(A, C, { sameModels: true })!;
  assert.equal(same.test, "paired-seeds");
  assert.equal(same.df, 2);
  close(same.t, -7.378477148755437, 1e-11);
  close(same.p, 0.017877121995096078, 1e-11);
  const one = compareSeeds(new Map([[0, A.get(0)!]]), new Map([[0, C.get(0)!]]))!;
  assert.equal(one.test, "paired-units");
  close(one.t, -14.100290132411516, 1e-10);
  close(one.p, 0.0007726418512276871, 1e-12);
  // same models but only seed 0 in common: that seed's windows, not an average with the other seeds
  const oneCommon = compareSeeds(A, new Map([[0, C.get(0)!]]), { sameModels: true })!;
  assert.equal(oneCommon.test, "paired-units");
  close(oneCommon.p, one.p, 1e-15);
  // three seeds against one (two failed): too few for Welch → windows of the seed averages, labelled so
  const lopsided = compareSeeds(A, new Map([[1, C.get(1)!]]))!;
  assert.equal(lopsided.test, "paired-units");
});

test("compareSeeds: nothing to test → null (no seeds, non-finite scores, units that differ, a single unit of one seed)", () => {
  assert.equal(compareSeeds(new Map(), B), null);
  assert.equal(compareSeeds(new Map([[0, [1, NaN]]]), new Map([[0, [1, 2]]])), null);
  assert.equal(compareSeeds(new Map([[0, [1, 2, 3]]]), new Map([[0, [1, 2]]])), null);
  assert.equal(compareSeeds(new Map([[0, [1]]]), new Map([[0, [2]]])), null);
  // one unit per seed but ≥ 2 seeds a side is still a Welch test over the seeds
  assert.equal(compareSeeds(new Map([[0, [1]], [1, [2]]]), new Map([[0, [2]], [1, [3]]]))!.test, "welch-seeds");
});
