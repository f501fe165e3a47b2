/**
 * From a bench's state to its results: `results.json` (schema below), `results.csv`, the best method at each
 * length, and the terminal table.
 *
 * results.json (`schema: "extrapos.bench/2"`; /1 had no `test_vs_best`, `passkey_test_vs_best`, `passkey_learned`, and its
 * `p_vs_best` / `passkey_p_vs_best` were paired t-tests over windows / (seed, trial) units), keys in snake_case:
 *   train_len, eval_lens, preset, seeds, command, config (the plan), versions, machine, git: {commit, dirty} (the
 *   commit of the code that wrote the file and whether tracked files differed from it; nulls outside a git
 *   checkout; absent before this field existed), wall_seconds, generated,
 *   best_per_length: [{length, methods: [names with the lowest mean ppl]}],
 *   methods: [{name, kind: "trained" | "eval-variant", base, summary, model (file-form config), status:
 *     "ok" | "partial" (some seeds failed) | "failed" | "pending" (not run yet), errors: ["seed 0, train: …"],
 *     positions: "random" | "plain" (how a randomized-position model was evaluated), passkey_learned: boolean | null,
 *     eval: [{length, ppl, ppl_std, ppl_ci95: [lo, hi] | null, p_vs_best, test_vs_best, tie_with_best, loss, loss_std,
 *       passkey_acc, passkey_acc_std, passkey_token_acc, passkey_token_acc_std, passkey_token_acc_ci95,
 *       passkey_p_vs_best, passkey_test_vs_best, passkey_tie_with_best, tokens, n_seeds}],
 *     seeds: [{seed, status, error, train: {steps, final_train_loss, final_valid_loss, wall_seconds,
 *       tokens_per_second, curve: {step, train_loss, valid_loss}} | null, eval: [{length, ppl, loss,
 *       passkey_acc, passkey_token_acc, tokens}], loss_per_position: {length, loss} | null}]}]
 * `passkey_acc` / `passkey_token_acc`: the mixed passkey (src/eval/passkey-mix.ts), exact match and per-digit accuracy.
 * Means and standard deviations are over the seeds that finished (sample std, n − 1; null for one seed);
 * `ppl` is the mean of the seeds' perplexities. `ppl_ci95` (bootstrap over the evaluation windows) and
 * `p_vs_best` / `test_vs_best` / `tie_with_best` (the seed-aware comparison with the best method at that
 * length: "welch-seeds", "paired-seeds" or, with one seed, "paired-units" = over the windows) come from
 * compare.ts, and so do `passkey_token_acc_ci95` (bootstrap over the seeds' trials), `passkey_learned` (mean
 * per-digit accuracy at L ≥ 0.75) and `passkey_p_vs_best` / `passkey_test_vs_best` / `passkey_tie_with_best`
 * (the same comparison of the seeds' per-digit accuracies against the highest method that learned the passkey
 * at L). Non-finite numbers (a diverged model) are written as null.
 */
import { benchMethod, type BenchMethodName } from "./presets.js";
import { jobsOf, modelJsonFor, planToJson, trainedMethodOf } from "./plan.js";
import type { EvalOutcome, TrainOutcome } from "./runner.js";
import { totalWallSeconds, type BenchState } from "./state.js";
import { passkeyStats, windowStats } from "./compare.js";
import type { SeedTest } from "../eval/stats.js";

export interface EvalPoint {
  length: number;
  ppl: number;
  ppl_std: number | null;
  /** 95 % bootstrap interval over the evaluation windows (seed-averaged window losses); null without window losses. */
  ppl_ci95: [number, number] | null;
  /** p-value of the comparison with the best method at this length (null for the best itself, or untested). */
  p_vs_best: number | null;
  /** Which test gave `p_vs_best` (compare.ts): over the seeds, or over the windows with one seed. */
  test_vs_best: SeedTest | null;
  /** Best, or not significantly different from the best (p ≥ 0.05); null when untested. */
  tie_with_best: boolean | null;
  loss: number;
  loss_std: number | null;
  passkey_acc: number | null;
  passkey_acc_std: number | null;
  /** Mixed-passkey per-digit accuracy, mean and std over seeds; null when not measured. */
  passkey_token_acc: number | null;
  passkey_token_acc_std: number | null;
  /** 95 % bootstrap interval of the per-digit accuracy over the (seed, trial) units; null without trial scores. */
  passkey_token_acc_ci95: [number, number] | null;
  /** p-value of the per-digit accuracy's comparison with the best method at this length (null for the best, or untested). */
  passkey_p_vs_best: number | null;
  passkey_test_vs_best: SeedTest | null;
  /** Best passkey, or not significantly different from it (p ≥ 0.05); null when untested. */
  passkey_tie_with_best: boolean | null;
  tokens: number;
  n_seeds: number;
}

export interface SeedTrain {
  steps: number;
  final_train_loss: number;
  final_valid_loss: number;
  wall_seconds: number;
  tokens_per_second: number;
  curve: { step: number[]; train_loss: number[]; valid_loss: number[] };
}

export interface SeedResult {
  seed: number;
  status: "done" | "failed" | "pending";
  error: string | null;
  train: SeedTrain | null;
  eval: Array<{ length: number; ppl: number; loss: number; passkey_acc: number | null; passkey_token_acc: number | null; tokens: number }>;
  loss_per_position: { length: number; loss: number[] } | null;
}

export interface MethodResult {
  name: BenchMethodName;
  kind: "trained" | "eval-variant";
  base: string | null;
  summary: string;
  model: Record<string, unknown>;
  status: "ok" | "partial" | "failed" | "pending";
  /** How a randomized-position model was evaluated ("random" = the reference protocol); "plain" otherwise. */
  positions: "random" | "plain";
  /** Passkey per-digit accuracy at L ≥ 0.75 (compare.ts PASSKEY_LEARNED_AT_L); null when not measured at L. */
  passkey_learned: boolean | null;
  errors: string[];
  eval: EvalPoint[];
  seeds: SeedResult[];
}

/** The git commit the running code was checked out at, and whether tracked files differed from it (null: unknown / not a checkout). */
export interface GitSource {
  commit: string | null;
  dirty: boolean | null;
}

export interface Environment {
  versions: Record<string, string>;
  machine: Record<string, string | number>;
  /** Absent = unknown (written as { commit: null, dirty: null }). */
  git?: GitSource;
}

/** The `git` field of results.json: the environment's, or nulls. */
export function gitOf(env: Pick<Environment, "git">): GitSource {
  return env.git ?? { commit: null, dirty: null };
}

export interface BenchResults {
  schema: "extrapos.bench/2";
  train_len: number;
  eval_lens: number[];
  preset: string;
  seeds: number[];
  command: string;
  config: Record<string, unknown>;
  versions: Record<string, string>;
  machine: Record<string, string | number>;
  /** The commit of the code that wrote these results (null outside a git checkout; absent in older files). */
  git?: GitSource;
  wall_seconds: number;
  generated: string;
  best_per_length: Array<{ length: number; methods: string[] }>;
  methods: MethodResult[];
}

/** Mean and sample standard deviation (null below two values). */
export function meanStd(xs: number[]): { mean: number; std: number | null } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, std: null };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, std: Math.sqrt(v) };
}

function seedTrain(t: TrainOutcome): SeedTrain {
  return {
    steps: t.steps, final_train_loss: t.finalTrainLoss, final_valid_loss: t.finalValidLoss, wall_seconds: t.wallSeconds, tokens_per_second: t.tokensPerSecond,
    curve: { step: t.curve.step, train_loss: t.curve.trainLoss, valid_loss: t.curve.validLoss },
  };
}

function seedEval(e: EvalOutcome): SeedResult["eval"] {
  return e.lengths.map((length, i) => ({ length, ppl: e.ppl[i]!, loss: e.loss[i]!, passkey_acc: e.passkeyAcc[i] ?? null, passkey_token_acc: e.passkeyTokenAcc?.[i] ?? null, tokens: e.tokens[i]! }));
}

function aggregate(lengths: number[], seeds: SeedResult[]): EvalPoint[] {
  const done = seeds.filter((s) => s.status === "done");
  if (done.length === 0) return [];
  return lengths.map((length) => {
    const rows = done.map((s) => s.eval.find((r) => r.length === length)).filter((r) => r !== undefined);
    const ppl = meanStd(rows.map((r) => r.ppl)), loss = meanStd(rows.map((r) => r.loss));
    const pk = rows.map((r) => r.passkey_acc).filter((v): v is number => v !== null);
    const pkStats = pk.length ? meanStd(pk) : null;
    const digits = rows.map((r) => r.passkey_token_acc).filter((v): v is number => v !== null);
    const digitStats = digits.length ? meanStd(digits) : null;
    return {
      length, ppl: ppl.mean, ppl_std: ppl.std, ppl_ci95: null, p_vs_best: null, test_vs_best: null, tie_with_best: null, loss: loss.mean, loss_std: loss.std,
      passkey_acc: pkStats ? pkStats.mean : null, passkey_acc_std: pkStats ? pkStats.std : null,
      passkey_token_acc: digitStats ? digitStats.mean : null, passkey_token_acc_std: digitStats ? digitStats.std : null,
      passkey_token_acc_ci95: null, passkey_p_vs_best: null, passkey_test_vs_best: null, passkey_tie_with_best: null,
      tokens: rows.reduce((a, r) => a + r.tokens, 0), n_seeds: rows.length,
    };
  });
}

/** One method's results over the plan's seeds. */
function methodResult(state: BenchState, name: BenchMethodName): MethodResult {
  const spec = benchMethod(name);
  const seeds: SeedResult[] = jobsOf(state.plan).filter((j) => j.method === name).map((j) => {
    const run = state.runs[j.run], job = state.jobs[j.id];
    const train = run?.status === "done" && spec.kind === "trained" ? seedTrain(run.train) : null;
    if (job?.status === "done") {
      return { seed: j.seed, status: "done", error: null, train, eval: seedEval(job.eval), loss_per_position: job.eval.lossPerPosition };
    }
    if (job?.status === "failed") return { seed: j.seed, status: "failed", error: `${job.stage}: ${job.error}`, train, eval: [], loss_per_position: null };
    return { seed: j.seed, status: "pending", error: null, train, eval: [], loss_per_position: null };
  });
  const nDone = seeds.filter((s) => s.status === "done").length, nFailed = seeds.filter((s) => s.status === "failed").length;
  const status: MethodResult["status"] = nDone + nFailed < seeds.length ? "pending" : nDone === seeds.length ? "ok" : nFailed === seeds.length ? "failed" : "partial";
  const done = jobsOf(state.plan).filter((j) => j.method === name).map((j) => state.jobs[j.id]).filter((j) => j?.status === "done");
  const positions = done.some((j) => j.status === "done" && j.eval.positions === "random") ? "random" : "plain";
  return {
    name, kind: spec.kind, base: spec.kind === "eval-variant" ? spec.base : null, summary: spec.summary,
    model: modelJsonFor(state.plan, trainedMethodOf(name)), status, positions, passkey_learned: null,
    errors: seeds.filter((s) => s.error !== null).map((s) => `seed ${s.seed}, ${s.error}`),
    eval: aggregate(state.plan.evalLens, seeds), seeds,
  };
}

/** Names with the lowest finite mean perplexity at each length (ties within 1e-9 relative all count). */
export function bestPerLength(lengths: number[], methods: MethodResult[]): Array<{ length: number; methods: string[] }> {
  return lengths.map((length) => {
    const cands = methods.flatMap((m) => m.eval.filter((p) => p.length === length && Number.isFinite(p.ppl)).map((p) => ({ name: m.name, ppl: p.ppl })));
    if (cands.length === 0) return { length, methods: [] };
    const best = Math.min(...cands.map((c) => c.ppl));
    return { length, methods: cands.filter((c) => c.ppl <= best * (1 + 1e-9)).map((c) => c.name) };
  });
}

/** length → seed → window losses, for a method (compare.ts). */
function windowsOf(state: BenchState, name: BenchMethodName): Map<number, Map<number, number[]>> {
  const out = new Map<number, Map<number, number[]>>();
  for (const j of jobsOf(state.plan).filter((j) => j.method === name)) {
    const rec = state.jobs[j.id];
    if (rec?.status !== "done" || !rec.eval.windowLoss) continue;
    rec.eval.lengths.forEach((n, i) => { const w = rec.eval.windowLoss![i]; if (w) out.set(n, (out.get(n) ?? new Map<number, number[]>()).set(j.seed, w)); });
  }
  return out;
}

/** length → seed → each trial's passkey score, for a method (compare.ts). */
function trialsOf(state: BenchState, name: BenchMethodName): Map<number, Map<number, number[]>> {
  const out = new Map<number, Map<number, number[]>>();
  for (const j of jobsOf(state.plan).filter((j) => j.method === name)) {
    const rec = state.jobs[j.id];
    if (rec?.status !== "done" || !rec.eval.passkeyTrialAcc) continue;
    rec.eval.lengths.forEach((n, i) => {
      const t = rec.eval.passkeyTrialAcc![i];
      if (t) out.set(n, (out.get(n) ?? new Map<number, number[]>()).set(j.seed, t));
    });
  }
  return out;
}

export function buildResults(state: BenchState, env: Environment, now: Date): BenchResults {
  const methods = state.plan.methods.map((m) => methodResult(state, m));
  windowStats(methods.map((m) => ({ name: m.name, trained: trainedMethodOf(m.name), eval: m.eval, windows: windowsOf(state, m.name) })), state.plan.evalLens);
  const pk = methods.map((m) => ({ name: m.name, trained: trainedMethodOf(m.name), passkey_learned: null as boolean | null, eval: m.eval, trials: trialsOf(state, m.name) }));
  passkeyStats(pk, state.plan.evalLens, state.plan.trainLen);
  pk.forEach((p, i) => { methods[i]!.passkey_learned = p.passkey_learned; });
  return {
    schema: "extrapos.bench/2", train_len: state.plan.trainLen, eval_lens: state.plan.evalLens, preset: state.plan.preset, seeds: state.plan.seeds,
    command: state.command, config: planToJson(state.plan), versions: env.versions, machine: env.machine, git: gitOf(env),
    wall_seconds: totalWallSeconds(state), generated: now.toISOString(),
    best_per_length: bestPerLength(state.plan.evalLens, methods), methods,
  };
}

/** results.json text: non-finite numbers → null. */
export function resultsJson(r: BenchResults): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1) + "\n";
}

function csvCell(v: string | number | null): string {
  if (v === null) return "";
  if (typeof v === "number") return Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(v);
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const CSV_COLUMNS = ["method", "seed", "status", "length", "ppl", "loss", "passkey_acc", "passkey_token_acc", "tokens", "error"] as const;

/** results.csv: one row per method × seed × length; a failed or pending seed gets one row with its status and error. */
export function resultsCsv(r: BenchResults): string {
  const rows: Array<Array<string | number | null>> = [];
  for (const m of r.methods) for (const s of m.seeds) {
    if (s.status !== "done") rows.push([m.name, s.seed, s.status, null, null, null, null, null, null, s.error]);
    else for (const e of s.eval) rows.push([m.name, s.seed, "done", e.length, e.ppl, e.loss, e.passkey_acc, e.passkey_token_acc, e.tokens, null]);
  }
  return [CSV_COLUMNS.join(","), ...rows.map((row) => row.map(csvCell).join(","))].join("\n") + "\n";
}

/** "12.34", "1.2e+4", "12.3±0.4" */
export function formatPpl(p: EvalPoint | undefined): string {
  if (!p) return "-";
  const f = (x: number) => (!Number.isFinite(x) ? String(x) : x >= 1e4 ? x.toExponential(1) : x.toFixed(2));
  return p.ppl_std === null ? f(p.ppl) : `${f(p.ppl)}±${f(p.ppl_std)}`;
}

/** The final terminal table: perplexity per method and length, `*` marks the best at each length. */
export function terminalTable(r: BenchResults): string {
  const best = new Map(r.best_per_length.map((b) => [b.length, new Set(b.methods)]));
  const head = ["method", ...r.eval_lens.map((n) => `ppl@${n}`)];
  const rows = r.methods.map((m) => {
    if (m.status === "failed" || m.status === "pending") return [m.name, `${m.status.toUpperCase()}${m.errors.length ? `: ${m.errors.join("; ")}` : ""}`];
    return [m.name, ...r.eval_lens.map((n) => formatPpl(m.eval.find((p) => p.length === n)) + (best.get(n)?.has(m.name) ? "*" : m.eval.find((p) => p.length === n)?.tie_with_best ? "~" : ""))];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.filter((row) => row.length === head.length).map((row) => row[i]!.length)));
  const line = (row: string[]) => (row.length === head.length ? row.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ") : `${row[0]!.padEnd(w[0]!)}  ${row[1]}`);
  return [line(head), ...rows.map(line), `(* = lowest perplexity at that length, ~ = not significantly different from it (${r.seeds.length > 1 ? "t-test over the seeds" : "paired t-test over the windows, one seed: evaluation sampling only"}, p ≥ 0.05); trained at L = ${r.train_len}${r.seeds.length > 1 ? `; mean±std over ${r.seeds.length} seeds` : ""})`].join("\n") + "\n";
}
