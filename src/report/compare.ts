/**
 * Intervals and comparisons of the bench's methods, from each evaluation window's loss
 * (`EvalOutcome.windowLoss`: every method and seed is scored on the same windows of the test split) and each
 * passkey trial's score.
 *
 * - Per method and length, each window's loss is averaged over the seeds that finished; `ppl_ci95` is exp
 *   of the 95 % percentile-bootstrap interval of the mean window loss (src/eval/stats.ts). It measures
 *   the evaluation-sampling uncertainty (which windows were drawn); the training noise is `ppl_std`,
 *   the standard deviation over seeds.
 * - At each length, every method is compared with the best one (lowest mean perplexity) by `compareSeeds`
 *   (src/eval/stats.ts) on the mean loss: the unit is the training run. With ≥ 2 seeds a side, Welch's
 *   t-test over the seeds' mean losses ("welch-seeds"), or a paired t-test over the seeds when both are
 *   evaluations of the same trained models (rope, rope-yarn, rope-linear: "paired-seeds"); with one seed,
 *   a paired t-test over the windows ("paired-units": evaluation sampling only, the training noise is not
 *   tested). `p_vs_best` is its two-sided p-value, `test_vs_best` which test it was, and `tie_with_best`
 *   is true when p ≥ 0.05: the difference is not significant, so the tables mark the method "≈".
 * - The passkey likewise (`passkeyStats`), from each trial's fraction of key digits right (every method of a
 *   seed is asked the same trials): `passkey_token_acc_ci95` is the 95 % bootstrap interval over the
 *   (seed, trial) units; the comparison is `compareSeeds` on the seeds' per-digit accuracies (the trials of
 *   one seed share a model, so the seed is the unit; one seed: the trials). A method whose mean per-digit
 *   accuracy at the training length is below `PASSKEY_LEARNED_AT_L` did not learn the retrieval at L
 *   (`passkey_learned: false`): it is not compared (its scores beyond L do not measure extrapolation), and
 *   the best at each length is the highest of the methods that learned it.
 *
 * Example: `windowStats(methods, lengths)` fills `ppl_ci95`, `p_vs_best`, `test_vs_best`, `tie_with_best`.
 */
import { bootstrapMeanCI, compareSeeds, type SeedTest } from "../eval/stats.js";

/** Significance level of the comparisons with the best method. */
export const ALPHA = 0.05;

/**
 * Per-digit passkey accuracy at L (mean over seeds) below which a method "did not learn the retrieval at L".
 * Chance is 0.1; at 0.75 a model gets three digits of four right where it was fine-tuned.
 */
export const PASSKEY_LEARNED_AT_L = 0.75;

/** What compare needs of a method: its eval points and each finished seed's window losses per length. */
export interface ComparedMethod {
  name: string;
  /** The trained models it evaluates (its own name, or the base of an eval variant): equal → paired over seeds. */
  trained: string;
  eval: Array<{ length: number; ppl: number; ppl_ci95: [number, number] | null; p_vs_best: number | null; test_vs_best: SeedTest | null; tie_with_best: boolean | null }>;
  /** length → seed → that seed's window losses. */
  windows: Map<number, Map<number, number[]>>;
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
      const seeds = m.windows.get(length) ?? new Map<number, number[]>();
      const w = seedMeanWindows([...seeds.values()]);
      return point ? [{ m, point, seeds, w }] : [];
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
      if (r === best) { r.point.p_vs_best = null; r.point.test_vs_best = null; r.point.tie_with_best = true; continue; }
      const c = compareSeeds(r.seeds, best.seeds, { sameModels: r.m.trained === best.m.trained });
      if (c === null) continue;
      r.point.p_vs_best = c.p;
      r.point.test_vs_best = c.test;
      r.point.tie_with_best = c.p >= ALPHA;
    }
  }
}

/** What the passkey comparison needs of a method: its eval points and, per length, each finished seed's trial scores. */
export interface PasskeyComparedMethod {
  name: string;
  trained: string;
  /** Mean per-digit accuracy at L ≥ PASSKEY_LEARNED_AT_L (null: not measured at L); set by passkeyStats. */
  passkey_learned: boolean | null;
  eval: Array<{ length: number; passkey_token_acc: number | null; passkey_token_acc_ci95: [number, number] | null; passkey_p_vs_best: number | null; passkey_test_vs_best: SeedTest | null; passkey_tie_with_best: boolean | null }>;
  /** length → seed → each trial's fraction of key digits right. */
  trials: Map<number, Map<number, number[]>>;
}

/** Whether a method learned the passkey at the training length (see the header); null when it was not measured there. */
export function passkeyLearned(m: Pick<PasskeyComparedMethod, "eval">, trainLen: number): boolean | null {
  const at = m.eval.find((p) => p.length === trainLen)?.passkey_token_acc;
  return at === null || at === undefined || !Number.isFinite(at) ? null : at >= PASSKEY_LEARNED_AT_L;
}

/** Fills `passkey_learned`, the passkey interval and the comparison with the best method of every eval point (see the header). */
export function passkeyStats(methods: PasskeyComparedMethod[], lengths: number[], trainLen: number): void {
  for (const m of methods) m.passkey_learned = passkeyLearned(m, trainLen);
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
    const candidates = rows.filter((r) => r.m.passkey_learned !== false);
    if (candidates.length === 0) continue;
    const best = candidates.reduce((a, b) => (b.point.passkey_token_acc! > a.point.passkey_token_acc! ? b : a));
    for (const r of candidates) {
      if (r === best) { r.point.passkey_p_vs_best = null; r.point.passkey_test_vs_best = null; r.point.passkey_tie_with_best = true; continue; }
      const c = compareSeeds(r.trials, best.trials, { sameModels: r.m.trained === best.m.trained });
      if (c === null) continue;
      r.point.passkey_p_vs_best = c.p;
      r.point.passkey_test_vs_best = c.test;
      r.point.passkey_tie_with_best = c.p >= ALPHA;
    }
  }
}

/** How a test reads in a table note or tooltip. */
export function testLabel(test: SeedTest | null, units: string): string {
  return test === "welch-seeds" ? "Welch's t-test over the seeds" : test === "paired-seeds" ? "paired t-test over the seeds (same trained models)" : test === "paired-units" ? `paired t-test over the ${units} (one seed: evaluation sampling only)` : "untested";
}
