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
