/**
 * Intervals and paired comparisons of the bench's methods, from each evaluation window's loss
 * (`EvalOutcome.windowLoss`: every method and seed is scored on the same windows of the test split).
 *
 * - Per method and length, each window's loss is averaged over the seeds that finished; `ppl_ci95` is exp
 *   of the 95 % percentile-bootstrap interval of the mean window loss (src/eval/stats.ts). It measures
 *   the evaluation-sampling uncertainty (which windows were drawn); the training noise is `ppl_std`,
 *   the standard deviation over seeds.
 * - At each length, every method is compared with the best one (lowest mean perplexity) by a paired
 *   t-test over the windows of the seed-averaged window losses; `p_vs_best` is its two-sided p-value and
 *   `tie_with_best` is true when p ≥ 0.05: the difference is not significant, so the table marks the
 *   method as indistinguishable from the best.
 *
 * - The passkey likewise (`passkeyStats`), from each trial's fraction of key digits right: every method of a
 *   seed is asked the same trials (keys, depths, filler), so the units are (seed, trial) pairs — the trials
 *   of every seed both methods finished, concatenated. `passkey_token_acc_ci95` is the 95 % bootstrap
 *   interval of the mean over those units; at each length the method with the highest per-digit accuracy is
 *   the best, and every other one gets `passkey_p_vs_best` (paired t-test over the units) and
 *   `passkey_tie_with_best` (p ≥ 0.05: "≈" in the tables).
 *
 * Example: `windowStats(methods)` fills `ppl_ci95`, `p_vs_best`, `tie_with_best` of every EvalPoint.
 */
import { bootstrapMeanCI, pairedTTest } from "../eval/stats.js";

/** Significance level of the comparisons with the best method. */
export const ALPHA = 0.05;

/** What compare needs of a method: its eval points and each finished seed's window losses per length. */
export interface ComparedMethod {
  name: string;
  eval: Array<{ length: number; ppl: number; ppl_ci95: [number, number] | null; p_vs_best: number | null; tie_with_best: boolean | null }>;
  /** length → per-seed window losses (one array per finished seed). */
  windows: Map<number, number[][]>;
}

/** Mean over seeds of each window's loss; null when seeds disagree on the windows or none has them. */
export function seedMeanWindows(perSeed: number[][]): number[] | null {
  if (perSeed.length === 0) return null;
  const n = perSeed[0]!.length;
  if (n === 0 || perSeed.some((w) => w.length !== n || w.some((v) => !Number.isFinite(v)))) return null;
  return Array.from({ length: n }, (_, i) => perSeed.reduce((a, w) => a + w[i]!, 0) / perSeed.length);
}

/** Fills the interval and the comparison with the best method of every eval point (see the header). */
export function windowStats(methods: ComparedMethod[], lengths: number[]): void {
  for (const length of lengths) {
    const rows = methods.flatMap((m) => {
      const point = m.eval.find((p) => p.length === length);
      const w = seedMeanWindows(m.windows.get(length) ?? []);
      return point ? [{ m, point, w }] : [];
    });
    for (const r of rows) {
      if (r.w === null) continue;
      const ci = bootstrapMeanCI(r.w, { seed: length });
      r.point.ppl_ci95 = [Math.exp(ci.lo), Math.exp(ci.hi)];
    }
    const finite = rows.filter((r) => Number.isFinite(r.point.ppl));
    if (finite.length === 0) continue;
    const best = finite.reduce((a, b) => (b.point.ppl < a.point.ppl ? b : a));
    for (const r of finite) {
      if (r === best) { r.point.p_vs_best = null; r.point.tie_with_best = true; continue; }
      if (r.w === null || best.w === null || r.w.length !== best.w.length || r.w.length < 2) continue;
      const p = pairedTTest(r.w, best.w).p;
      r.point.p_vs_best = p;
      r.point.tie_with_best = p >= ALPHA;
    }
  }
}

/** What the passkey comparison needs of a method: its eval points and, per length, each finished seed's trial scores. */
export interface PasskeyComparedMethod {
  name: string;
  eval: Array<{ length: number; passkey_token_acc: number | null; passkey_token_acc_ci95: [number, number] | null; passkey_p_vs_best: number | null; passkey_tie_with_best: boolean | null }>;
  /** length → seed → each trial's fraction of key digits right. */
  trials: Map<number, Map<number, number[]>>;
}

/** The (seed, trial) units two methods share at a length: the trials of the seeds both have, with as many trials, in seed order. */
export function pairedTrials(a: Map<number, number[]>, b: Map<number, number[]>): [number[], number[]] {
  const x: number[] = [], y: number[] = [];
  for (const seed of [...a.keys()].sort((s, t) => s - t)) {
    const ta = a.get(seed)!, tb = b.get(seed);
    if (!tb || tb.length !== ta.length) continue;
    x.push(...ta);
    y.push(...tb);
  }
  return [x, y];
}

/** Fills the passkey interval and the comparison with the best method of every eval point (see the header). */
export function passkeyStats(methods: PasskeyComparedMethod[], lengths: number[]): void {
  for (const length of lengths) {
    const rows = methods.flatMap((m) => {
      const point = m.eval.find((p) => p.length === length);
      const trials = m.trials.get(length) ?? new Map<number, number[]>();
      const all = [...trials.keys()].sort((s, t) => s - t).flatMap((s) => trials.get(s)!);
      return point && point.passkey_token_acc !== null && Number.isFinite(point.passkey_token_acc) ? [{ m, point, trials, all }] : [];
    });
    for (const r of rows) {
      if (r.all.length === 0 || r.all.some((v) => !Number.isFinite(v))) continue;
      const ci = bootstrapMeanCI(r.all, { seed: length });
      r.point.passkey_token_acc_ci95 = [ci.lo, ci.hi];
    }
    if (rows.length === 0) continue;
    const best = rows.reduce((a, b) => (b.point.passkey_token_acc! > a.point.passkey_token_acc! ? b : a));
    for (const r of rows) {
      if (r === best) { r.point.passkey_p_vs_best = null; r.point.passkey_tie_with_best = true; continue; }
      const [x, y] = pairedTrials(r.trials, best.trials);
      if (x.length < 2) continue;
      const p = pairedTTest(x, y).p;
      r.point.passkey_p_vs_best = p;
      r.point.passkey_tie_with_best = p >= ALPHA;
    }
  }
}
