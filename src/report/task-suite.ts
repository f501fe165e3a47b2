/**
 * The task suite (`extrapos bench --suite tasks`): copy, reverse and associative recall × methods × seeds,
 * trained on a range of lengths and tested on longer ones, reported like Ruoss et al. 2023 (Table 1):
 * accuracy per test-length band.
 *
 * Protocol (docs/experiment.md "Task suite"):
 * - training: each example's input length ℓ is drawn uniformly from the task's [minLen, maxLen] (its recipe's
 *   `lengths`; `--task-lengths` sets every task's), padded to maxLen, loss on the answer tokens
 *   (src/data/tasks/sampler.ts);
 * - bands, per task: "train" = [minLen, maxLen] and then (maxLen, 2·maxLen], (2·maxLen, 4·maxLen], (4·maxLen, 8·maxLen];
 *   in each band `lengthsPerBand` evenly spaced lengths, `trials` examples each (fixed seed, the same
 *   examples for every method and seed); randomized-position models are evaluated with fresh random
 *   positions (the reference protocol);
 * - per band: per-token accuracy (Ruoss et al.'s measure) and exact match, pooled over the band's examples;
 *   mean ± std over seeds and a 95 % bootstrap interval over the examples (seed-averaged; src/eval/stats.ts);
 * - per task and band, every method is compared with the best (highest mean per-token accuracy) by
 *   `compareSeeds` (src/eval/stats.ts): Welch's t-test over the seeds' accuracies with ≥ 2 seeds a side (each
 *   method's seeds are its own trainings), with one seed a paired t-test over the same examples (evaluation
 *   sampling only); `p_vs_best`, `test_vs_best`, `tie_with_best` (p ≥ 0.05: "≈" in the tables).
 * Files (atomic): task-results.json (schema `extrapos.tasks/5`: each band has `p_vs_best`, `test_vs_best` and
 * `tie_with_best`, /4 had none; /4: the plan's `train` is per task and holds each task's
 * model depth `layers`, heads `heads`, MLP sublayer `mlp` and training lengths `lengths`, from which its bands follow;
 * /3 had one `trainLengths`/`bands` and `model.n_heads` for every task, /2 `model.n_layers`, /1 one recipe;
 * `git: {commit, dirty}`, the code's commit, null outside a git checkout, is absent from files written before it),
 * task-results.csv, index.html, task-accuracy.svg,
 * and runs/<task>-<method>-s<seed>/ per training.
 *
 * Example: `await runTaskSuite({ dir, plan: resolveTaskSuitePlan({}), runner, env })`.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic-write.js";
import { recallLayout } from "../data/tasks/index.js";
import { bootstrapMeanCI, compareSeeds, mean, sampleStd, type SeedTest } from "../eval/stats.js";
import { ExtraposError, show } from "../pe/errors.js";
import { canonicalEncodingName, ENCODINGS } from "../pe/encodings.js";
import { ProgressBar, type ProgressStream } from "../train/log/progress.js";
import { styleFor } from "./figures.js";
import { benchMethod, isBenchMethod, type BenchMethodName } from "./presets.js";
import { gitOf, type Environment, type GitSource } from "./results.js";
import type { TrainOutcome, TrainRequest } from "./runner.js";
import { escapeXml, lineChart, svgDocument } from "./svg.js";

export const SUITE_TASKS = ["copy", "reverse", "associative-recall"] as const;
export type SuiteTask = (typeof SUITE_TASKS)[number];

/** Shortest training/test length of each task in the suite (associative recall: 8 = two pairs, so that there is a key to choose). */
export const TASK_MIN_LENGTH: Record<SuiteTask, number> = { copy: 2, reverse: 2, "associative-recall": 8 };

/** Test bands of a training range [lo, hi]: the range itself, then (hi, 2hi], (2hi, 4hi], (4hi, 8hi]. */
export function bandsOf([lo, hi]: readonly [number, number]): Array<[number, number]> {
  return [[lo, hi], [hi + 1, 2 * hi], [2 * hi + 1, 4 * hi], [4 * hi + 1, 8 * hi]];
}

/** A task's bands: those of its training lengths (`plan.train[task].lengths`). */
export function taskBands(plan: Pick<TaskSuitePlan, "train">, task: SuiteTask): Array<[number, number]> {
  return bandsOf(plan.train[task].lengths);
}

/**
 * How one task is trained: steps × batch examples whose input lengths are drawn from `lengths` (inclusive),
 * AdamW at `lr` with `warmup` steps then cosine to lr/10, on a model of `layers` blocks of `heads` heads,
 * with (`mlp: true`) or without (attention-only, Zoology's MQAR block) the MLP sublayer; the plan's `model`
 * gives the rest (width, embedding).
 */
export interface TaskRecipe { steps: number; batch: number; lr: number; warmup: number; layers: number; heads: number; mlp: boolean; lengths: [number, number] }

export interface TaskSuitePlan {
  tasks: SuiteTask[];
  methods: BenchMethodName[];
  seeds: number[];
  lengthsPerBand: number;
  trials: number;
  /** What every task's model shares (depth, heads and MLP are the task's: `train[task]`). */
  model: { d_model: number; embedding: "none" | "sqrt_d" };
  /**
   * The training recipe of each task: its model's depth, heads and MLP, and its training lengths [minLen, maxLen]
   * (maxLen = the model's context length; the task's test bands follow from them, {@link taskBands}).
   * `--steps` sets every task's steps, `--task-lengths` every task's lengths.
   */
  train: Record<SuiteTask, TaskRecipe>;
  /** Engine threads of each training and evaluation. */
  threads: number;
  /** Trainings (and evaluations) at once, each on its own worker thread. */
  jobs: number;
}

/**
 * The default suite (docs/experiment.md "Task suite"): 3 tasks × 4 methods × 3 seeds = 36 trainings on
 * examples of 2 … 12 tokens (associative recall 8 … 12), two at a time on 2 cores (≤ 15 minutes on 2 quiet
 * cores; measured times in docs/experiment.md). Reverse trains 3 layers at lr 2e-3: with 2 layers at lr 1e-3
 * NoPE stayed at 69 % per token in its training range and randomized RoPE learned it in 2 seeds of 3; with 3
 * layers at 2e-3 every method reached 94–100 % in every seed. Associative recall trains Zoology's MQAR model —
 * attention-only blocks (no MLP) with one head, batch 32: with the MLP and 4 heads no method left the guessing
 * plateau, in extrapos or in PyTorch (scripts/task_torch_probe.py, up to 720k examples); attention-only with one
 * head learns the lookup in 2000–4000 steps in PyTorch for every method. The recipe was chosen by measurement
 * (single-seed sweeps on copy and reverse, lengths 2 … 12, 48k examples): with √d embedding scaling NoPE's
 * per-token copy accuracy at length 12 is 0.63 (lr 1e-3) or 0.46 (lr 1e-2), with the reference embedding
 * (unscaled, std 0.02) and lr 1e-3 it is 0.93; lr 1e-2 is also unstable (RoPE, copy on lengths 2 … 6: loss 0.03
 * at step 600, back above 0.5 at step 1000).
 */
export const TASK_SUITE_DEFAULTS = {
  tasks: [...SUITE_TASKS],
  methods: ["rope", "randomized-rope", "alibi", "nope"] as BenchMethodName[],
  seeds: 3,
  lengthsPerBand: 4,
  trials: 32,
  model: { d_model: 64, embedding: "none" as "none" | "sqrt_d" },
  train: {
    copy: { steps: 4000, batch: 16, lr: 1e-3, warmup: 100, layers: 2, heads: 4, mlp: true, lengths: [2, 12] },
    reverse: { steps: 7000, batch: 16, lr: 2e-3, warmup: 100, layers: 3, heads: 4, mlp: true, lengths: [2, 12] },
    "associative-recall": { steps: 6000, batch: 32, lr: 1e-3, warmup: 100, layers: 2, heads: 1, mlp: false, lengths: [8, 12] },
  } satisfies Record<SuiteTask, TaskRecipe>,
};

/** Each task's recipe in one line (report, CLI). */
export function recipeSummary(plan: Pick<TaskSuitePlan, "tasks" | "train">): string {
  return plan.tasks.map((t) => {
    const r = plan.train[t];
    return `${t} on lengths ${r.lengths[0]}–${r.lengths[1]}: ${r.layers} layers × ${r.heads} head${r.heads === 1 ? "" : "s"}${r.mlp ? "" : " (attention only)"}, ${r.steps} steps × ${r.batch}, lr ${r.lr}`;
  }).join("; ");
}

export interface TaskSuiteOverrides {
  tasks?: string[];
  methods?: string[];
  seeds?: number;
  steps?: number;
  /** Training lengths A:B of every task (default: each task's own, TASK_SUITE_DEFAULTS.train[task].lengths). */
  trainLengths?: [number, number];
  /** Engine threads per job (default 1: the suite's small models gain nothing from more). */
  threads?: number;
  /** Concurrent jobs (default: the number of cores / threads). */
  jobs?: number;
  /** Cores of the machine, for the default of `jobs` (default: os.availableParallelism()). */
  cores?: number;
}

function bad(msg: string, hint?: string): ExtraposError {
  return new ExtraposError("invalid_argument", msg, hint);
}

/**
 * Every task's default recipe, with `steps` and `lengths` (when given) for every task; a task's training
 * range starts at its shortest example (associative recall: 8), so `--task-lengths 2:12` trains it on 8 … 12.
 */
function recipes(steps: number | undefined, lengths: [number, number] | undefined): Record<SuiteTask, TaskRecipe> {
  const d = TASK_SUITE_DEFAULTS.train;
  const r = (t: SuiteTask): TaskRecipe => ({
    ...d[t], lengths: lengths ? [Math.max(lengths[0], TASK_MIN_LENGTH[t]), lengths[1]] : [...d[t].lengths],
    // --steps: the warmup is the recipe's, at most a quarter of the steps (a 50-step look must not fail on a 100-step warmup)
    ...(steps !== undefined ? { steps, warmup: Math.min(d[t].warmup, Math.floor(steps / 4)) } : {}),
  });
  return { copy: r("copy"), reverse: r("reverse"), "associative-recall": r("associative-recall") };
}

export function resolveTaskSuitePlan(o: TaskSuiteOverrides): TaskSuitePlan {
  const tasks = (o.tasks ?? TASK_SUITE_DEFAULTS.tasks).map((t) => {
    if (!(SUITE_TASKS as readonly string[]).includes(t)) throw bad(`--tasks must name tasks of ${SUITE_TASKS.join(", ")}, got ${show(t)}`);
    return t as SuiteTask;
  });
  const methods = (o.methods ?? TASK_SUITE_DEFAULTS.methods).map((m) => {
    if (!isBenchMethod(m) || benchMethod(m).kind !== "trained" || m === "lstm") throw bad(`--methods: ${show(m)} is not a trained transformer method of the bench`);
    return m;
  });
  const nSeeds = o.seeds ?? TASK_SUITE_DEFAULTS.seeds;
  if (!Number.isInteger(nSeeds) || nSeeds < 1 || nSeeds > 100) throw bad(`--seeds must be an integer in [1, 100], got ${show(nSeeds)}`);
  if (o.steps !== undefined && (!Number.isInteger(o.steps) || o.steps < 1)) throw bad(`--steps must be a positive integer, got ${show(o.steps)}`);
  if (o.trainLengths) {
    const [lo, hi] = o.trainLengths;
    const needs = Math.max(...tasks.map((t) => TASK_MIN_LENGTH[t]));
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 2 && lo <= hi && hi >= needs)) throw bad(`--task-lengths must be A:B with 2 ≤ A ≤ B${needs > 2 ? ` and B ≥ ${needs} (associative recall needs 8)` : ""}, got ${lo}:${hi}`);
  }
  const threads = o.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw bad(`--threads must be an integer in [1, 256], got ${show(threads)}`);
  const jobs = o.jobs ?? Math.max(1, Math.floor((o.cores ?? availableParallelism()) / threads));
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) throw bad(`--jobs must be an integer in [1, 256], got ${show(jobs)}`);
  return {
    tasks, methods, seeds: Array.from({ length: nSeeds }, (_, i) => i),
    lengthsPerBand: TASK_SUITE_DEFAULTS.lengthsPerBand, trials: TASK_SUITE_DEFAULTS.trials,
    model: { ...TASK_SUITE_DEFAULTS.model }, train: recipes(o.steps, o.trainLengths), threads, jobs,
  };
}

/**
 * Per-token accuracy in associative recall of the best answer that ignores the queried key: the most frequent
 * of the n values shown (any of them when tied). A query picks one of the n pairs uniformly, so the answer is
 * right with probability (count of that value)/n, and the level is E[max count]/n for n digits drawn uniformly
 * from 10 — computed exactly: P(max ≤ c) = n!/10ⁿ · [xⁿ] (Σ_{j ≤ c} xʲ/j!)¹⁰. It is at least the level of
 * guessing uniformly among the values shown ((1 + (n − 1)/10)/n), and above it from 3 pairs on (4 pairs: 0.384
 * vs 0.325; 24 pairs: 0.209 vs 0.138). Models on the plateau score this level: 0.36–0.40 with 4 pairs in the
 * PyTorch probe (scripts/task_torch_probe.py). Averaged over `lengths` (one weight each, as the bands pool them).
 * Example: `recallGuessRate([8])` → 0.55 (2 pairs: 1/2 + 1/2 · 1/10).
 */
export function recallGuessRate(lengths: readonly number[]): number {
  return mean(lengths.map((L) => expectedMaxCount(recallLayout(L).pairs, 10) / recallLayout(L).pairs));
}

/** E[max bin count] of n balls thrown uniformly into m bins (exact, by the exponential generating function). */
export function expectedMaxCount(n: number, m: number): number {
  const logScale = lgammaInt(n) - n * Math.log(m); // log(n!/mⁿ)
  let e = 0;
  for (let c = 0; c < n; c++) {
    // [xⁿ] (Σ_{j ≤ c} xʲ/j!)^m by repeated truncated multiplication
    const base = Array.from({ length: n + 1 }, (_, j) => (j <= c ? Math.exp(-lgammaInt(j)) : 0));
    let acc: number[] = Array.from({ length: n + 1 }, (_, j) => (j === 0 ? 1 : 0));
    for (let k = 0; k < m; k++) {
      const next = new Array<number>(n + 1).fill(0);
      for (let i = 0; i <= n; i++) if (acc[i]) for (let j = 0; i + j <= n; j++) next[i + j] = next[i + j]! + acc[i]! * base[j]!;
      acc = next;
    }
    e += 1 - Math.exp(logScale) * acc[n]!;
  }
  return e;
}

/** log(j!) for a small non-negative integer j. */
function lgammaInt(j: number): number {
  let s = 0;
  for (let i = 2; i <= j; i++) s += Math.log(i);
  return s;
}

/** `n` evenly spaced integer lengths in [lo, hi] (both ends included when n ≥ 2). */
export function bandLengths([lo, hi]: [number, number], n: number): number[] {
  if (n === 1 || lo === hi) return [Math.round((lo + hi) / 2)];
  return [...new Set(Array.from({ length: n }, (_, i) => Math.round(lo + ((hi - lo) * i) / (n - 1))))];
}

/**
 * The model config (file form) of a method trained on a task: the bench's method at the suite's width, with
 * the task's depth, heads and MLP (the key `mlp` only when false, so MLP models' configs are those of before).
 * A fixed absolute table (family "absolute" but not `learned`: sinusoidal, adaptive — amplitude 1, added to the
 * token embeddings) gets √d-scaled embeddings (Vaswani et al., fairseq; the language-model bench's convention): on
 * the suite's reference embeddings (std 0.02) it drowns the tokens (seed 0, per token in range, copy / reverse /
 * recall: sinusoidal 28 / 100 / 43 % unscaled, 86 / 100 / 53 % scaled; adaptive 15 / 32 / 14 % and 95 / 52 / 100 %;
 * docs/experiment.md "Task suite"). The learned table starts at the tokens' scale (N(0, 0.02²)) and keeps the plan's
 * embedding (learned 100 / 100 / 80 % unscaled, 95 / 99 / 79 % scaled), as every other method does.
 */
export function suiteModelJson(plan: TaskSuitePlan, method: BenchMethodName, task: SuiteTask): Record<string, unknown> {
  const spec = benchMethod(method);
  if (spec.kind !== "trained") throw new ExtraposError("internal", `${method} is not trained`);
  const r = plan.train[task], bands = taskBands(plan, task);
  const maxEvalLen = bands[bands.length - 1]![1], trainLen = r.lengths[1];
  const own = spec.model({ trainLen, maxEvalLen, nLayers: r.layers, nHeads: r.heads });
  const kind = canonicalEncodingName((own.pe as { kind?: unknown } | undefined)?.kind);
  const fixedTable = kind !== undefined && ENCODINGS[kind].family === "absolute" && kind !== "learned";
  return {
    ...plan.model, ...(fixedTable ? { embedding: "sqrt_d" } : {}), n_layers: r.layers, n_heads: r.heads, ...(r.mlp ? {} : { mlp: false }), context_length: trainLen,
    ...own,
  };
}

/** For the report: which methods train on √d-scaled embeddings (see suiteModelJson); "" when none does. */
function embeddingNote(p: TaskSuitePlan): string {
  const scaled = p.methods.filter((m) => suiteModelJson(p, m, p.tasks[0]!).embedding === "sqrt_d");
  return scaled.length === 0 ? "" : `; token embeddings × √d for ${scaled.join(", ")} (fixed absolute tables), else the reference's (× 1, init std 0.02)`;
}

/** What the suite needs from training and evaluation (the real one: task-suite-real.ts). */
export interface TaskRunner {
  /** `training`: further training-config keys in file form (e.g. `{warmup: 100}`). */
  train(req: TrainRequest & { task: SuiteTask; minLength: number; training?: Record<string, unknown> }): Promise<TrainOutcome>;
  /** Per length, each example's exact match (1/0) and fraction of answer tokens right. */
  evaluate(req: { runDir: string; task: SuiteTask; lengths: number[]; trials: number; seed: number; threads: number }): Promise<{ exact: number[][]; perToken: number[][]; positions: "random" | "plain" }>;
}

export interface BandResult {
  band: [number, number];
  /** Per-token accuracy: mean over seeds, std over seeds (null for one seed), 95 % bootstrap interval over examples. */
  token_accuracy: number;
  token_accuracy_std: number | null;
  token_accuracy_ci95: [number, number];
  exact: number;
  exact_std: number | null;
  n_seeds: number;
  /** p-value of the comparison with the best method of the task in this band (null for the best, or untested). */
  p_vs_best: number | null;
  /** Which test gave `p_vs_best`: "welch-seeds", or "paired-units" (over the examples) with one seed. */
  test_vs_best: SeedTest | null;
  /** Best, or not significantly different from it (p ≥ 0.05); null when untested. */
  tie_with_best: boolean | null;
}

export interface CellResult {
  task: SuiteTask;
  method: string;
  status: "ok" | "failed" | "pending";
  errors: string[];
  positions: "random" | "plain";
  final_train_loss: number[];
  bands: BandResult[];
}

/** One seed's scores of a cell: per band, each example's exact match and per-token accuracy. */
export interface SeedScores { exact: number[][]; perToken: number[][] }

/** Band statistics from each seed's per-band example scores (the same examples in every seed). */
export function bandStats(band: [number, number], seeds: SeedScores[], bandIndex: number): BandResult {
  const tokBySeed = seeds.map((s) => mean(s.perToken[bandIndex]!)), exBySeed = seeds.map((s) => mean(s.exact[bandIndex]!));
  const n = seeds[0]!.perToken[bandIndex]!.length;
  const pooled = Array.from({ length: n }, (_, i) => mean(seeds.map((s) => s.perToken[bandIndex]![i]!)));
  const ci = bootstrapMeanCI(pooled, { seed: band[0] });
  return {
    band, token_accuracy: mean(tokBySeed), token_accuracy_std: sampleStd(tokBySeed), token_accuracy_ci95: [ci.lo, ci.hi],
    exact: mean(exBySeed), exact_std: sampleStd(exBySeed), n_seeds: seeds.length, p_vs_best: null, test_vs_best: null, tie_with_best: null,
  };
}

/** Significance level of the comparisons with the best method. */
const ALPHA = 0.05;

/**
 * Fills `p_vs_best` / `test_vs_best` / `tie_with_best` of every band of the finished cells of one task (see the
 * header): `seeds` maps seed → that seed's scores (the same examples in every seed and method).
 */
export function compareBands(cells: Array<{ cell: CellResult; seeds: Map<number, SeedScores> }>): void {
  const nBands = Math.max(0, ...cells.map((c) => c.cell.bands.length));
  for (let i = 0; i < nBands; i++) {
    const rows = cells.filter((c) => c.cell.status === "ok" && c.cell.bands[i]);
    if (rows.length === 0) continue;
    const best = rows.reduce((a, b) => (b.cell.bands[i]!.token_accuracy > a.cell.bands[i]!.token_accuracy ? b : a));
    const units = (c: (typeof rows)[number]) => new Map([...c.seeds].map(([s, sc]) => [s, sc.perToken[i]!]));
    for (const r of rows) {
      const b = r.cell.bands[i]!;
      if (r === best) { b.p_vs_best = null; b.test_vs_best = null; b.tie_with_best = true; continue; }
      const c = compareSeeds(units(r), units(best));
      b.p_vs_best = c?.p ?? null;
      b.test_vs_best = c?.test ?? null;
      b.tie_with_best = c ? c.p >= ALPHA : null;
    }
  }
}

export interface TaskSuiteOptions {
  dir: string;
  plan: TaskSuitePlan;
  runner: TaskRunner;
  env: Environment;
  command: string;
  stream?: ProgressStream;
  now?: () => Date;
}

export interface TaskSuiteResults {
  schema: "extrapos.tasks/5";
  command: string;
  plan: TaskSuitePlan;
  cells: CellResult[];
  versions: Record<string, string>;
  machine: Record<string, string | number>;
  /** The commit of the code that ran the suite (null outside a git checkout; absent in older files). */
  git?: GitSource;
  wall_seconds: number;
  generated: string;
}

/** Trains and evaluates every task × method × seed, rewriting the report after each cell; returns the results. */
export async function runTaskSuite(o: TaskSuiteOptions): Promise<TaskSuiteResults> {
  const { plan, runner } = o;
  const stream = o.stream ?? process.stderr, now = o.now ?? (() => new Date());
  const t0 = performance.now();
  const cells: CellResult[] = plan.tasks.flatMap((task) => plan.methods.map((method) => ({ task, method, status: "pending" as const, errors: [], positions: "plain" as const, final_train_loss: [], bands: [] })));
  const results = (): TaskSuiteResults => ({
    schema: "extrapos.tasks/5", command: o.command, plan, cells, versions: o.env.versions, machine: o.env.machine, git: gitOf(o.env),
    wall_seconds: (performance.now() - t0) / 1000, generated: now().toISOString(),
  });
  // Every (cell, seed) is a unit; up to `jobs` run at once. Scores are kept by seed index, so the
  // results do not depend on the order in which units finish. The units of the task with the most steps
  // start first (the cost is per step): the last ones to run are short, so the lanes end together.
  const units = cells.flatMap((cell, ci) => plan.seeds.map((seed, si) => ({ cell, ci, seed, si })))
    .map((u, i) => ({ u, i })).sort((a, b) => plan.train[b.u.cell.task].steps - plan.train[a.u.cell.task].steps || a.i - b.i).map(({ u }) => u);
  const scores: Array<Array<SeedScores | null>> = cells.map(() => plan.seeds.map(() => null));
  const losses: number[][] = cells.map(() => plan.seeds.map(() => NaN));
  const errors: string[][] = cells.map(() => plan.seeds.map(() => ""));
  const left = cells.map(() => plan.seeds.length);
  const total = units.length;
  const stepsDone = new Map<number, number>();
  const bar = new ProgressBar({ total: units.reduce((n, u) => n + plan.train[u.cell.task].steps, 0), label: `${total} trainings`, stream });
  const progress = () => { let s = 0; for (const v of stepsDone.values()) s += v; return s; };
  const runUnit = async (u: (typeof units)[number], k: number): Promise<void> => {
    const { cell } = u;
    const label = `[${k + 1}/${total}] ${cell.task} ${cell.method} s${u.seed}`;
    const runDir = join(o.dir, "runs", `${cell.task}-${cell.method}-s${u.seed}`);
    const bands = taskBands(plan, cell.task);
    const lengths = bands.flatMap((b) => bandLengths(b, plan.lengthsPerBand));
    const recipe = plan.train[cell.task];
    try {
      const t = await runner.train({
        method: cell.method, runDir, modelJson: suiteModelJson(plan, cell.method as BenchMethodName, cell.task), steps: recipe.steps, batch: recipe.batch,
        seqLen: recipe.lengths[1], lr: recipe.lr, seed: u.seed, threads: plan.threads, task: cell.task, minLength: recipe.lengths[0],
        training: { warmup: recipe.warmup },
        onProgress: (p) => { stepsDone.set(k, p.step); bar.update({ step: progress(), loss: p.loss }); },
      });
      stepsDone.set(k, recipe.steps);
      losses[u.ci]![u.si] = t.finalTrainLoss;
      const e = await runner.evaluate({ runDir, task: cell.task, lengths, trials: plan.trials, seed: 1234, threads: plan.threads });
      cell.positions = e.positions;
      // pool each band's lengths
      let at = 0;
      const s: SeedScores = { exact: [], perToken: [] };
      for (const b of bands) {
        const n = bandLengths(b, plan.lengthsPerBand).length;
        s.exact.push(e.exact.slice(at, at + n).flat());
        s.perToken.push(e.perToken.slice(at, at + n).flat());
        at += n;
      }
      scores[u.ci]![u.si] = s;
      bar.log(`${label}: per-token accuracy ${s.perToken.map((b) => mean(b).toFixed(2)).join(" / ")} (bands ${bands.map((b) => `${b[0]}–${b[1]}`).join(", ")})`);
    } catch (err) {
      stepsDone.set(k, recipe.steps);
      errors[u.ci]![u.si] = `seed ${u.seed}: ${err instanceof Error ? err.message : String(err)}`;
      bar.log(`${label}: FAILED ${errors[u.ci]![u.si]}`);
    }
    if (--left[u.ci]! === 0) {
      const ok = scores[u.ci]!.filter((x): x is SeedScores => x !== null);
      cell.errors = errors[u.ci]!.filter(Boolean);
      cell.final_train_loss = losses[u.ci]!.filter((x, i) => scores[u.ci]![i] !== null && Number.isFinite(x));
      cell.status = ok.length === 0 ? "failed" : "ok";
      cell.bands = ok.length ? taskBands(plan, cell.task).map((b, i) => bandStats(b, ok, i)) : [];
      // the best of the task may change with each finished cell: compare all of them again
      compareBands(cells.flatMap((c, ci) => (c.task === cell.task && c.status === "ok"
        ? [{ cell: c, seeds: new Map(plan.seeds.flatMap((seed, si) => { const sc = scores[ci]![si]; return sc ? [[seed, sc] as [number, SeedScores]] : []; })) }]
        : [])));
      writeTaskReport(o.dir, results());
    }
  };
  let next = 0;
  const lane = async (): Promise<void> => { while (next < units.length) { const k = next++; await runUnit(units[k]!, k); } };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.jobs, units.length)) }, lane));
  bar.finish({ step: progress() });
  const r = results();
  writeTaskReport(o.dir, r);
  return r;
}

export function taskResultsCsv(r: TaskSuiteResults): string {
  const rows = ["task,method,band_lo,band_hi,token_accuracy,token_accuracy_std,ci95_lo,ci95_hi,exact,exact_std,n_seeds,p_vs_best,test_vs_best,tie_with_best"];
  for (const c of r.cells) for (const b of c.bands) {
    rows.push([c.task, c.method, b.band[0], b.band[1], b.token_accuracy, b.token_accuracy_std ?? "", b.token_accuracy_ci95[0], b.token_accuracy_ci95[1], b.exact, b.exact_std ?? "", b.n_seeds, b.p_vs_best ?? "", b.test_vs_best ?? "", b.tie_with_best ?? ""].join(","));
  }
  return rows.join("\n") + "\n";
}

const pct = (x: number) => (100 * x).toFixed(1);

/**
 * The Ruoss-style tables, one per task (each task has its own training lengths, hence its own bands): rows
 * methods, columns bands; per-token accuracy (%) mean ± std, interval below.
 */
export function taskTableHtml(r: TaskSuiteResults): string {
  return r.plan.tasks.map((task) => {
    const bands = taskBands(r.plan, task), cells = r.cells.filter((c) => c.task === task);
    const head = `<tr><th>method</th>${bands.map((b, i) => `<th>${b[0]}–${b[1]}${i === 0 ? " (train)" : ""}</th>`).join("")}<th>exact match (test bands)</th></tr>`;
    const bestOf = (i: number) => Math.max(...cells.filter((x) => x.bands[i]).map((x) => x.bands[i]!.token_accuracy));
    const rows = cells.map((c) => {
      if (c.status !== "ok") return `<tr class="failed"><td>${escapeXml(c.method)}</td><td class="error" colspan="${bands.length + 1}">${escapeXml(c.status.toUpperCase())} ${escapeXml(c.errors.join("; "))}</td></tr>`;
      const tds = c.bands.map((b, i) => {
        const best = b.token_accuracy >= bestOf(i) - 1e-12, tie = !best && b.tie_with_best === true;
        const title = b.p_vs_best !== null ? ` title="${b.test_vs_best === "paired-units" ? "paired t-test over the examples (one seed)" : "Welch's t-test over the seeds"} against the best: p = ${b.p_vs_best.toPrecision(2)}"` : "";
        return `<td${best ? ' class="best"' : tie ? ' class="tie"' : ""}${title}>${pct(b.token_accuracy)}${b.token_accuracy_std !== null ? `±${pct(b.token_accuracy_std)}` : ""}${tie ? " ≈" : ""}<span class="ci">[${pct(b.token_accuracy_ci95[0])}, ${pct(b.token_accuracy_ci95[1])}]</span></td>`;
      });
      return `<tr><td>${escapeXml(c.method)}${c.positions === "random" ? " *" : ""}</td>${tds.join("")}<td>${c.bands.slice(1).map((b) => pct(b.exact)).join(" / ")}</td></tr>`;
    });
    return `<h3>${escapeXml(task)}</h3><p class="muted">${escapeXml(recipeSummary({ tasks: [task], train: r.plan.train }))}.</p><table class="results">${head}${rows.join("")}</table>`;
  }).join("\n");
}

/** The task figure: a panel per task, per-token accuracy per band; recall with its no-lookup level per band. */
export function taskFigure(r: TaskSuiteResults): string {
  const panels = r.plan.tasks.map((task) => {
    const [lo, hi] = r.plan.train[task].lengths, mid = taskBands(r.plan, task).map((b) => Math.sqrt(b[0] * b[1]));
    return lineChart({
      title: `${task}: per-token accuracy by test band (trained on ${lo === hi ? `length ${hi}` : `${lo}–${hi}`})`, xLabel: "input length (band midpoint, log scale)", yLabel: "per-token accuracy",
      xScale: "log", yRange: [0, 1], width: 1160, height: 420, xTicks: mid.map((m) => Math.round(m)),
      vLines: [{ x: hi, label: `trained ≤ ${hi}` }],
      // recall: the level of answering every query with the most frequent value shown, without looking the key up
      // (recallGuessRate), one segment per band — a model on the plateau sits on it
      ...(task === "associative-recall" ? {
        hLines: taskBands(r.plan, task).map((b) => ({ y: recallGuessRate(bandLengths(b, r.plan.lengthsPerBand)), from: b[0], to: b[1] }))
          .filter((h) => Number.isFinite(h.y)).map((h, i) => (i === 0 ? { ...h, label: "no lookup" } : h)),
      } : {}),
      series: r.cells.filter((c) => c.task === task && c.status === "ok").map((c) => {
        const y = c.bands.map((b) => b.token_accuracy);
        return { ...styleFor(r.plan.methods, c.method), x: mid, y, band: { lo: c.bands.map((b) => b.token_accuracy_ci95[0]), hi: c.bands.map((b) => b.token_accuracy_ci95[1]) }, markers: true };
      }),
    });
  });
  return svgDocument(panels);
}

const CSS = `body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1240px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; max-width: 100%; } th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; overflow-wrap: anywhere; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; } td.best { background: #d8f0d8; font-weight: bold; } td.tie { background: #eef7ee; } td .ci { display: block; font-size: 0.78em; color: #666; font-weight: normal; }
tr.failed td { color: #a00; } td.error { text-align: left; } svg { max-width: 100%; height: auto; } .muted { color: #666; font-size: 0.9em; } code { overflow-wrap: anywhere; }`;

export function writeTaskReport(dir: string, r: TaskSuiteResults): void {
  const svg = taskFigure(r);
  writeFileAtomic(join(dir, "task-results.json"), JSON.stringify(r, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1) + "\n");
  writeFileAtomic(join(dir, "task-results.csv"), taskResultsCsv(r));
  writeFileAtomic(join(dir, "task-accuracy.svg"), svg);
  const p = r.plan;
  writeFileAtomic(join(dir, "index.html"), `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>extrapos task suite</title><style>${CSS}</style></head><body>
<h1>Length generalization on synthetic tasks</h1>
<p>${p.tasks.length} tasks × ${p.methods.length} methods × ${p.seeds.length} seed(s). Each example's length is drawn from its task's training lengths (padded; loss on the answer tokens); d_model ${p.model.d_model}${embeddingNote(p)}; ${escapeXml(recipeSummary(p))}. Evaluation: ${p.lengthsPerBand} lengths per band × ${p.trials} examples, teacher-forced argmax.</p>
<p class="muted">Command: <code>${escapeXml(r.command)}</code> · wall time ${(r.wall_seconds / 60).toFixed(1)} min · generated ${escapeXml(r.generated)}</p>
<h2>Per-token accuracy (%) by input-length band</h2>
${taskTableHtml(r)}
<p class="muted">As in Ruoss et al. 2023 (Table 1): accuracy per answer token, averaged over the band's examples; mean ± std over seeds, below it the 95 % bootstrap interval over the examples (seed-averaged). Highlighted: the best per task and band; ≈ = not significantly different from it (p ≥ 0.05; ${p.seeds.length > 1 ? "Welch's t-test over the seeds' accuracies: the seeds are the units, since the training noise is what separates methods" : "one seed: a paired t-test over the same examples, evaluation sampling only — the training noise is not tested"}; p in the cell's tooltip). * = randomized positions, evaluated with fresh random positions (the reference protocol). Last column: exact match of the whole answer in the three test bands. Chance per token: 1/26 (letters) for copy and reverse, 1/10 (digits) for associative recall${p.tasks.includes("associative-recall") ? `, where answering every query with the most frequent of the n values shown (no lookup) scores E[max count]/n: ${taskBands(p, "associative-recall").map((b) => pct(recallGuessRate(bandLengths(b, p.lengthsPerBand)))).join(" / ")} % in its bands` : ""}.</p>
<figure>${svg.replace(/<\?xml[^>]*\?>\s*/, "").replace(/\s+xmlns="[^"]*"/g, "")}<figcaption class="muted">Per-token accuracy per band (band midpoint on the x axis), 95 % interval shaded${r.plan.tasks.includes("associative-recall") ? "; associative recall's dotted segments: the no-lookup level of each band (the most frequent value shown, as in the caption above)" : ""}.</figcaption></figure>
<p class="muted">Raw numbers: task-results.json, task-results.csv. Commit: ${escapeXml(r.git?.commit ?? "unknown (not run from a git checkout)")}${r.git?.dirty ? " (tracked files differed from it)" : ""}. Machine: ${escapeXml(JSON.stringify(r.machine))}</p>
</body></html>
`);
}
