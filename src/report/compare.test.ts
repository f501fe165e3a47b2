/**
 * The passkey's paired comparison (compare.ts `passkeyStats`): units are (seed, trial) pairs of the seeds both
 * methods finished, the best is the highest per-digit accuracy, and p-values are checked against a t
 * distribution integrated outside our code (Simpson's rule on the Student-t density, python3, in the comment).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pairedTrials, passkeyStats, type PasskeyComparedMethod } from "./compare.js";

function method(name: string, acc: number | null, trials: Record<number, number[]>, length = 64): PasskeyComparedMethod {
  return {
    name,
    eval: [{ length, passkey_token_acc: acc, passkey_token_acc_ci95: null, passkey_p_vs_best: null, passkey_tie_with_best: null }],
    trials: new Map([[length, new Map(Object.entries(trials).map(([s, t]) => [Number(s), t]))]]),
  };
}

test("pairedTrials: the trials of the seeds both methods have, with as many trials, in seed order", () => {
  const a = new Map([[1, [0.4, 0.6]], [0, [1, 0.8]], [2, [0.2, 0.2]]]), b = new Map([[0, [0.6, 0.8]], [1, [0.2, 0]], [2, [1]]]);
  assert.deepEqual(pairedTrials(a, b), [[1, 0.8, 0.4, 0.6], [0.6, 0.8, 0.2, 0]]);
});

test("passkeyStats: best = highest per-digit accuracy; others paired over the same (seed, trial) units; ≈ when p ≥ 0.05", () => {
  // a − b per unit = [0.2, 0.4, 0.2, 0, 0.2, 0.4] (seed 0 then seed 1): t = 3.7963, df 5, two-sided p = 0.012677
  // (python3: 2·∫_t^∞ Γ(3)/(√(5π)Γ(5/2))(1 + x²/5)^−3 dx by Simpson's rule). Unpaired, the two samples overlap.
  const a = method("a", 0.8, { 0: [1, 0.8, 0.6], 1: [1, 1, 0.4] });
  const b = method("b", 3.4 / 6, { 0: [0.8, 0.4, 0.4], 1: [1, 0.8, 0] });
  const c = method("c", 0.8, { 0: [1, 0.8, 0.6] }); // its seed 1 failed: compared on seed 0 only, where it equals a
  const d = method("d", 0.3, { 1: [0.2, 0.4] }); // other trials than a's: nothing to pair
  const none = method("none", null, {});
  passkeyStats([a, b, c, d, none], [64]);
  const pa = a.eval[0]!, pb = b.eval[0]!, pc = c.eval[0]!, pd = d.eval[0]!;
  assert.equal(pa.passkey_p_vs_best, null);
  assert.equal(pa.passkey_tie_with_best, true, "the best itself");
  assert.ok(Math.abs(pb.passkey_p_vs_best! - 0.012677) < 1e-5, `p = ${pb.passkey_p_vs_best}`);
  assert.equal(pb.passkey_tie_with_best, false);
  assert.equal(pc.passkey_p_vs_best, 1, "all differences zero");
  assert.equal(pc.passkey_tie_with_best, true, "≈: not significantly different from the best");
  assert.equal(pd.passkey_p_vs_best, null);
  assert.equal(pd.passkey_tie_with_best, null, "untested");
  assert.equal(none.eval[0]!.passkey_tie_with_best, null);
  assert.equal(none.eval[0]!.passkey_token_acc_ci95, null);
  // intervals: bootstrap over the 6 units, around the mean; one value repeated gives a point
  const [lo, hi] = pb.passkey_token_acc_ci95!;
  assert.ok(lo < 3.4 / 6 && 3.4 / 6 < hi && lo >= 0 && hi <= 1, `[${lo}, ${hi}]`);
  const one = method("one", 1, { 0: [1, 1, 1] });
  passkeyStats([one], [64]);
  assert.deepEqual(one.eval[0]!.passkey_token_acc_ci95, [1, 1]);
});

test("passkeyStats: swapping the seeds of one method changes the pairing (units are matched by seed, not by position)", () => {
  const a = method("a", 0.8, { 0: [1, 0.8, 0.6], 1: [1, 1, 0.4] });
  const b = method("b", 3.4 / 6, { 0: [1, 0.8, 0], 1: [0.8, 0.4, 0.4] }); // b's seeds swapped: differences [0, 0, 0.6, 0.2, 0.6, 0]
  passkeyStats([a, b], [64]);
  // t = 0.23333/(0.29439/√6) = 1.9415, df 5: p = 0.109867 (same integration) — not significant
  assert.ok(Math.abs(b.eval[0]!.passkey_p_vs_best! - 0.109867) < 1e-5, `p = ${b.eval[0]!.passkey_p_vs_best}`);
  assert.equal(b.eval[0]!.passkey_tie_with_best, true);
});
