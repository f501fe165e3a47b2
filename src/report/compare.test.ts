/**
 * The bench's comparisons with the best method (compare.ts): over the seeds (Welch, or paired for the same trained
 * models), over the windows / trials with one seed, and the passkey's "not learned at L" rule. Expected p-values:
 * `/usr/bin/python3 scripts/stats_reference.py` (mpmath's incomplete beta; df = 2 cases also by the closed form
 * p = 1 − |t|/√(t² + 2)).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSKEY_LEARNED_AT_L, passkeyLearned, passkeyStats, windowStats, type ComparedMethod, type PasskeyComparedMethod } from "./compare.js";

const close = (a: number | null, b: number, tol: number): void => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

type Seeds = Record<number, number[]>;
const seedMap = (s: Seeds) => new Map(Object.entries(s).map(([k, v]) => [Number(k), v]));
const meanOf = (s: Seeds) => { const m = Object.values(s).map((w) => w.reduce((a, b) => a + b, 0) / w.length); return m.reduce((a, b) => a + b, 0) / m.length; };

function lm(name: string, trained: string, seeds: Seeds, length = 64): ComparedMethod {
  return { name, trained, eval: [{ length, ppl: Math.exp(meanOf(seeds)), ppl_ci95: null, p_vs_best: null, test_vs_best: null, tie_with_best: null }], windows: new Map([[length, seedMap(seeds)]]) };
}

// the windows of src/eval/stats.test.ts (three seeds × four windows)
const A = { 0: [2.0, 2.2, 1.8, 2.4], 1: [2.3, 2.5, 2.1, 2.7], 2: [1.9, 2.1, 1.7, 2.3] };
const B = { 0: [2.12, 2.28, 1.93, 2.49], 1: [2.38, 2.61, 2.22, 2.79], 2: [2.01, 2.18, 1.82, 2.41] };
const C = { 0: [2.35, 2.5, 2.2, 2.7], 1: [2.52, 2.73, 2.31, 2.88], 2: [2.19, 2.42, 2.02, 2.61] };

test("windowStats: best = lowest perplexity; others by Welch over the seeds — a shift the windows call significant (p = 0.0007) is ≈ here", () => {
  const a = lm("a", "a", A), b = lm("b", "b", B), c = lm("c", "a", C); // c evaluates a's trained models
  windowStats([a, b, c], [64]);
  const [pa, pb, pc] = [a.eval[0]!, b.eval[0]!, c.eval[0]!];
  assert.deepEqual([pa.p_vs_best, pa.test_vs_best, pa.tie_with_best], [null, null, true]);
  assert.equal(pb.test_vs_best, "welch-seeds");
  close(pb.p_vs_best, 0.5735828913263271, 1e-11);
  assert.equal(pb.tie_with_best, true);
  assert.equal(pc.test_vs_best, "paired-seeds", "same trained models: paired by seed");
  close(pc.p_vs_best, 0.017877121995096078, 1e-11);
  assert.equal(pc.tie_with_best, false);
  // the interval is over the seed-averaged windows, around the mean loss
  assert.ok(pb.ppl_ci95![0] < pb.ppl && pb.ppl < pb.ppl_ci95![1]);
});

test("windowStats with one seed: paired over the windows, labelled 'paired-units'; a method without windows is untested", () => {
  const a = lm("a", "a", { 0: A[0] }), c = lm("c", "c", { 0: C[0] });
  const none: ComparedMethod = { ...lm("none", "none", { 0: [3, 3, 3, 3] }), windows: new Map() };
  windowStats([a, c, none], [64]);
  assert.equal(c.eval[0]!.test_vs_best, "paired-units");
  close(c.eval[0]!.p_vs_best, 0.0007726418512276871, 1e-12);
  assert.equal(c.eval[0]!.tie_with_best, false);
  assert.deepEqual([none.eval[0]!.p_vs_best, none.eval[0]!.tie_with_best, none.eval[0]!.ppl_ci95], [null, null, null]);
});

function pk(name: string, trained: string, at: Record<number, Seeds>): PasskeyComparedMethod {
  return {
    name, trained, passkey_learned: null,
    eval: Object.entries(at).map(([n, s]) => ({ length: Number(n), passkey_token_acc: meanOf(s), passkey_token_acc_ci95: null, passkey_p_vs_best: null, passkey_test_vs_best: null, passkey_tie_with_best: null })),
    trials: new Map(Object.entries(at).map(([n, s]) => [Number(n), seedMap(s)])),
  };
}

test("passkeyStats: seeds are the units (Welch / paired for the same models); a method below 0.75 at L is marked not learned and left out of the comparison", () => {
  assert.equal(PASSKEY_LEARNED_AT_L, 0.75);
  // per-seed means at 64: a .95/.95/.95, a2 the same models, b .8/.9/.7, c .5/.5/.5 (not learned); at 128: a .5/.55/.45, a2 .7/.8/.6, b .4/.5/.4, c .6
  const a = pk("a", "a", { 64: { 0: [1, 0.8, 1, 1], 1: [1, 1, 0.8, 1], 2: [0.8, 1, 1, 1] }, 128: { 0: [0.6, 0.4, 0.6, 0.4], 1: [0.4, 0.6, 0.6, 0.6], 2: [0.4, 0.4, 0.6, 0.4] } });
  const a2 = pk("a2", "a", { 64: { 0: [1, 0.8, 1, 1], 1: [1, 1, 0.8, 1], 2: [0.8, 1, 1, 1] }, 128: { 0: [0.8, 0.6, 0.8, 0.6], 1: [0.8, 0.8, 0.8, 0.8], 2: [0.6, 0.6, 0.6, 0.6] } });
  const b = pk("b", "b", { 64: { 0: [0.8, 0.6, 1, 0.8], 1: [1, 0.8, 0.8, 1], 2: [0.6, 0.8, 0.8, 0.6] }, 128: { 0: [0.2, 0.4, 0.6, 0.4], 1: [0.6, 0.4, 0.4, 0.6], 2: [0.4, 0.2, 0.4, 0.6] } });
  const c = pk("c", "c", { 64: { 0: [0.4, 0.6, 0.4, 0.6], 1: [0.6, 0.4, 0.6, 0.4], 2: [0.4, 0.6, 0.6, 0.4] }, 128: { 0: [0.6, 0.6, 0.6, 0.6], 1: [0.6, 0.6, 0.6, 0.6], 2: [0.6, 0.6, 0.6, 0.6] } });
  passkeyStats([a, a2, b, c], [64, 128], 64);
  assert.deepEqual([a.passkey_learned, a2.passkey_learned, b.passkey_learned, c.passkey_learned], [true, true, true, false]);
  const at = (m: PasskeyComparedMethod, n: number) => m.eval.find((p) => p.length === n)!;
  // 64: a is the best (first of the equal highest); a2 is the same models: paired, all differences 0
  assert.equal(at(a, 64).passkey_p_vs_best, null);
  assert.equal(at(a2, 64).passkey_test_vs_best, "paired-seeds");
  assert.equal(at(a2, 64).passkey_p_vs_best, 1);
  // b vs a: Welch, a without spread → df 2, t = −2.598, p = 1 − |t|/√(t² + 2) = 0.12169
  assert.equal(at(b, 64).passkey_test_vs_best, "welch-seeds");
  close(at(b, 64).passkey_p_vs_best, 0.12168993434632028, 1e-11);
  assert.equal(at(b, 64).passkey_tie_with_best, true);
  // 128: c has the highest score (.6) but did not learn the passkey at L: a2 (.7) is the best, c is untested
  assert.deepEqual([at(c, 128).passkey_p_vs_best, at(c, 128).passkey_test_vs_best, at(c, 128).passkey_tie_with_best], [null, null, null]);
  assert.equal(at(a2, 128).passkey_p_vs_best, null);
  close(at(a, 128).passkey_p_vs_best, 0.02020410288672878, 1e-11); // paired over seeds: t = −6.928, df 2
  assert.equal(at(a, 128).passkey_test_vs_best, "paired-seeds");
  close(at(b, 128).passkey_p_vs_best, 0.02481746172574957, 1e-11); // Welch: t = −4, df 3.2
  assert.equal(at(b, 128).passkey_tie_with_best, false);
  // intervals: bootstrap over the (seed, trial) units, for every method, learned or not
  const [lo, hi] = at(c, 128).passkey_token_acc_ci95!;
  assert.ok(Math.abs(lo - 0.6) < 1e-12 && Math.abs(hi - 0.6) < 1e-12);
});

test("passkeyStats with one seed: the trials of that seed are the units ('paired-units'); not measured at L → learned unknown, still compared", () => {
  const a = pk("a", "a", { 64: { 0: [1, 1, 1, 0.8, 1, 1] } });
  const b = pk("b", "b", { 64: { 0: [1, 0.8, 0.6, 0.8, 0.8, 1] } });
  passkeyStats([a, b], [64], 64);
  assert.equal(b.eval[0]!.passkey_test_vs_best, "paired-units");
  // differences 0, .2, .4, 0, .2, 0: mean .1333, sd .16330, t = 2.0, df 5 (stats_reference.py: p = 0.101939478829858)
  close(b.eval[0]!.passkey_p_vs_best, 0.101939478829858, 1e-11);
  const far = pk("far", "far", { 128: { 0: [0.2, 0.4] } });
  assert.equal(passkeyLearned(far, 64), null);
  passkeyStats([far], [128], 64);
  assert.equal(far.passkey_learned, null);
  assert.equal(far.eval[0]!.passkey_tie_with_best, true, "the only candidate is the best");
});
