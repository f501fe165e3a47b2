/**
 * Small, pure statistics for results that hold up: mean ± sample std over seeds, quantiles, a
 * percentile-bootstrap 95 % interval of a mean (over evaluation windows or task examples), a paired
 * t-test (two methods scored on the same windows/examples), Welch's t-test (two independent samples), and
 * `compareSeeds`, the seed-aware comparison of two methods that the reports use.
 *
 * - `quantile(xs, q)`: linear interpolation between order statistics (Hyndman & Fan type 7, numpy's
 *   and R's default): h = (n − 1)q, x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋).
 * - `bootstrapMeanCI(xs)`: `resamples` resamples of n values drawn with replacement (seeded `Rng`), the
 *   mean of each; the interval is the (1−level)/2 and (1+level)/2 quantiles of those means (Efron's
 *   percentile interval). Deterministic for a given seed.
 * - `pairedTTest(a, b)`: d_i = a_i − b_i, t = mean(d) / (sd(d)/√n), df = n − 1, two-sided
 *   p = 2·P(T_df > |t|) from the regularized incomplete beta function (Numerical Recipes' continued
 *   fraction): P(T_df > t) = ½ I_{df/(df+t²)}(df/2, ½) for t ≥ 0. All differences equal: t = ±∞ and
 *   p = 0, or t = 0 and p = 1 when they are all zero.
 * - `welchTTest(a, b)` (Welch 1947): t = (m_a − m_b)/√(v_a/n_a + v_b/n_b) with sample variances v, df by
 *   Welch–Satterthwaite: (v_a/n_a + v_b/n_b)² / ((v_a/n_a)²/(n_a − 1) + (v_b/n_b)²/(n_b − 1)); two-sided p as
 *   above. `welchFromSummary` does the same from means, sample stds and sizes (all Welch needs).
 * - `compareSeeds(a, b)`: two methods, each a map seed → that seed's scores on shared units (evaluation
 *   windows, passkey trials, task examples: unit i is the same text in every seed and method). The unit of
 *   replication is the training run, so the test is over per-seed means (the mean of a seed's units):
 *   Welch's t-test when both methods have ≥ 2 seeds ("welch-seeds": their seeds are independent trainings),
 *   or a paired t-test over the seeds both have when the two methods are evaluations of the same trained
 *   models (`sameModels`, e.g. RoPE and RoPE + YaRN at evaluation: "paired-seeds"). With fewer seeds the
 *   training noise cannot be estimated and the test falls back to a paired t-test over the units of the
 *   seed-averaged scores ("paired-units": evaluation sampling only, said so wherever it is shown).
 *   docs/experiment.md "Statistics" says why.
 *
 * Example:
 *   bootstrapMeanCI([2.1, 2.3, 1.9, 2.2]).lo   // lower end of the 95 % interval of the mean
 *   pairedTTest(lossA, lossB).p < 0.05          // the two methods differ on these windows
 *   compareSeeds(new Map([[0, winA0], [1, winA1]]), new Map([[0, winB0], [1, winB1]]))?.p   // over seeds (Welch)
 */
import { ExtraposError, show } from "../pe/errors.js";
import { Rng } from "../pe/random.js";

function checkSample(xs: ArrayLike<number>, what: string, min = 1): void {
  if (xs.length < min) throw new ExtraposError("invalid_argument", `${what} needs at least ${min} value${min === 1 ? "" : "s"}, got ${xs.length}`);
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]!)) throw new ExtraposError("invalid_argument", `${what}: value ${i} is ${show(xs[i])}, expected a finite number`);
  }
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Sample standard deviation (n − 1); null below two values. */
export function sampleStd(xs: ArrayLike<number>): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - m) ** 2;
  return Math.sqrt(v / (xs.length - 1));
}

/** The q-quantile (0 ≤ q ≤ 1) of `xs`, type 7 (see the header); `xs` need not be sorted. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  checkSample(xs, "quantile");
  if (!(q >= 0 && q <= 1)) throw new ExtraposError("invalid_argument", `quantile \`q\` must be in [0, 1], got ${show(q)}`);
  const s = Float64Array.from(xs).sort();
  const h = (s.length - 1) * q, lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo]! + (h - lo) * (s[lo + 1]! - s[lo]!) : s[lo]!;
}

export interface BootstrapOptions {
  /** Number of resamples (default 2000). */
  resamples?: number;
  /** Coverage (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
}

export const DEFAULT_BOOTSTRAP = { resamples: 2000, level: 0.95, seed: 0 } as const;

/** Mean of `xs` and its percentile-bootstrap interval (see the header). */
export function bootstrapMeanCI(xs: ArrayLike<number>, opts: BootstrapOptions = {}): { mean: number; lo: number; hi: number } {
  checkSample(xs, "bootstrap");
  const B = opts.resamples ?? DEFAULT_BOOTSTRAP.resamples, level = opts.level ?? DEFAULT_BOOTSTRAP.level;
  if (!Number.isInteger(B) || B < 1) throw new ExtraposError("invalid_argument", `bootstrap \`resamples\` must be an integer ≥ 1, got ${show(B)}`);
  if (!(level > 0 && level < 1)) throw new ExtraposError("invalid_argument", `bootstrap \`level\` must be in (0, 1), got ${show(level)}`);
  const rng = new Rng(opts.seed ?? DEFAULT_BOOTSTRAP.seed);
  const n = xs.length, means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.int(n)]!;
    means[b] = s / n;
  }
  return { mean: mean(xs), lo: quantile(means, (1 - level) / 2), hi: quantile(means, (1 + level) / 2) };
}

/** ln Γ(x), x > 0 (Lanczos, g = 7, n = 9; |error| < 1e-14 for the arguments used here). */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d; h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaCf(a, b, x)) / a : 1 - (front * betaCf(b, a, 1 - x)) / b;
}

/** Upper tail P(T > t) of Student's t with `df` degrees of freedom. */
export function studentTSf(t: number, df: number): number {
  if (!(df > 0)) throw new ExtraposError("invalid_argument", `degrees of freedom must be > 0, got ${show(df)}`);
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

export interface PairedTest {
  n: number;
  /** mean(a − b). */
  meanDiff: number;
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/** Paired t-test of a − b (see the header); `a` and `b` pair up by index. */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTest {
  if (a.length !== b.length) throw new ExtraposError("shape_mismatch", `a paired test needs samples of equal size, got ${a.length} and ${b.length}`);
  checkSample(a, "paired test", 2);
  checkSample(b, "paired test", 2);
  const d = Float64Array.from({ length: a.length }, (_, i) => a[i]! - b[i]!);
  const n = d.length, m = mean(d), sd = sampleStd(d)!;
  const df = n - 1;
  if (sd === 0) return { n, meanDiff: m, t: m === 0 ? 0 : m > 0 ? Infinity : -Infinity, df, p: m === 0 ? 1 : 0 };
  const t = m / (sd / Math.sqrt(n));
  return { n, meanDiff: m, t, df, p: Math.min(1, 2 * studentTSf(Math.abs(t), df)) };
}

/** Welch's t-test from summary statistics: means, sample standard deviations (n − 1) and sizes (each ≥ 2). */
export function welchFromSummary(ma: number, sa: number, na: number, mb: number, sb: number, nb: number): PairedTest {
  for (const [v, what] of [[ma, "mean a"], [sa, "std a"], [mb, "mean b"], [sb, "std b"]] as const) {
    if (!Number.isFinite(v) || (what.startsWith("std") && v < 0)) throw new ExtraposError("invalid_argument", `Welch test: ${what} is ${show(v)}, expected a finite number${what.startsWith("std") ? " ≥ 0" : ""}`);
  }
  if (!(Number.isInteger(na) && Number.isInteger(nb) && na >= 2 && nb >= 2)) throw new ExtraposError("invalid_argument", `Welch test needs at least 2 values a side, got ${na} and ${nb}`);
  const ua = (sa * sa) / na, ub = (sb * sb) / nb, se2 = ua + ub, m = ma - mb;
  if (se2 === 0) return { n: na + nb, meanDiff: m, t: m === 0 ? 0 : m > 0 ? Infinity : -Infinity, df: na + nb - 2, p: m === 0 ? 1 : 0 };
  const df = (se2 * se2) / ((ua * ua) / (na - 1) + (ub * ub) / (nb - 1));
  const t = m / Math.sqrt(se2);
  return { n: na + nb, meanDiff: m, t, df, p: Math.min(1, 2 * studentTSf(Math.abs(t), df)) };
}

/** Welch's unequal-variance t-test of mean(a) − mean(b), two independent samples (see the header). */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTest {
  checkSample(a, "Welch test", 2);
  checkSample(b, "Welch test", 2);
  return welchFromSummary(mean(a), sampleStd(a)!, a.length, mean(b), sampleStd(b)!, b.length);
}

/** Which test `compareSeeds` made (see the header). */
export type SeedTest = "welch-seeds" | "paired-seeds" | "paired-units";

export interface SeedComparison extends PairedTest {
  test: SeedTest;
}

/**
 * The seed-aware comparison of two methods (see the header): `a`, `b` map seed → scores on the shared units.
 * Null when there is nothing to test (no seeds, non-finite scores, units that do not line up, < 2 units).
 */
export function compareSeeds(a: Map<number, ArrayLike<number>>, b: Map<number, ArrayLike<number>>, opts: { sameModels?: boolean } = {}): SeedComparison | null {
  const usable = (m: Map<number, ArrayLike<number>>) => [...m.entries()].filter(([, u]) => u.length > 0 && Array.from(u).every(Number.isFinite)).sort((x, y) => x[0] - y[0]);
  const sa = usable(a), sb = usable(b);
  if (sa.length === 0 || sb.length === 0) return null;
  const units = sa[0]![1].length;
  if ([...sa, ...sb].some(([, u]) => u.length !== units)) return null;
  const common = sa.filter(([s]) => sb.some(([t]) => t === s)).map(([s]) => s);
  if (opts.sameModels && common.length >= 2) {
    const ma = common.map((s) => mean(sa.find(([t]) => t === s)![1])), mb = common.map((s) => mean(sb.find(([t]) => t === s)![1]));
    return { ...pairedTTest(ma, mb), test: "paired-seeds" };
  }
  if (!opts.sameModels && sa.length >= 2 && sb.length >= 2) return { ...welchTTest(sa.map(([, u]) => mean(u)), sb.map(([, u]) => mean(u))), test: "welch-seeds" };
  if (units < 2) return null;
  // too few seeds to estimate the training noise: the units of the seed-averaged scores (the same seeds for same models)
  const pick = opts.sameModels && common.length === 1 ? (xs: Array<[number, ArrayLike<number>]>) => xs.filter(([s]) => s === common[0]) : (xs: Array<[number, ArrayLike<number>]>) => xs;
  const avg = (xs: Array<[number, ArrayLike<number>]>) => Array.from({ length: units }, (_, i) => mean(xs.map(([, u]) => u[i]!)));
  return { ...pairedTTest(avg(pick(sa)), avg(pick(sb))), test: "paired-units" };
}
