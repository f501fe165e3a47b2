/**
 * `extrapos bench` (and `npm start`): train one model per positional encoding at length L, evaluate each at
 * L … 32L, and write reports/<timestamp>/ (index.html, results.json, results.csv, SVG figures, per-run
 * TensorBoard logs). `--resume reports/<timestamp>` continues an interrupted bench. See docs/experiment.md.
 *
 * Progress goes to stderr; the final table and the report's paths to stdout. Exit 0 when the report is
 * written (failed methods are in it, with their errors, and listed on stderr); 2 on bad input (nothing
 * written); 130 after Ctrl-C (the folder can be resumed).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import { lockFolder } from "../data/folder-lock.js";
import { formatDuration, type ProgressStream } from "../train/log/progress.js";
import { collectEnvironment } from "../report/environment.js";
import { BenchInterrupted, runExperiment } from "../report/experiment.js";
import { jobsOf, resolvePlan, planToJson, threadsAndJobs, trainingsOf, type BenchPlan } from "../report/plan.js";
import { BENCH_METHOD_NAMES, BENCH_PRESET_NAMES, BENCH_PRESETS, estimateBudget, type BenchPresetName } from "../report/presets.js";
import { terminalTable } from "../report/results.js";
import type { Runner } from "../report/runner.js";
import { realRunner } from "../report/runner-real.js";
import { workerRunner } from "../report/runner-worker.js";
import { loadState, newState, saveState, type BenchState } from "../report/state.js";
import { formatOptions, getFlag, getNumber, getNumbers, getString, parseArgs, type OptionSpecs, wantsHelp } from "./args.js";
import { benchEncodingFigures } from "./bench-figures.js";
import { signalExitCode, STOP_SIGNALS, type StopSignal } from "./signals.js";
import { prepareQueue, runQueued } from "./bench-queue.js";
import { trainedEncodingFigures } from "./bench-trained.js";
import type { Command } from "./command.js";
import { runTaskBench } from "./bench-tasks.js";
import { SUITE_TASKS, TASK_SUITE_DEFAULTS, type TaskRunner } from "../report/task-suite.js";
import { SUMMARIES } from "./summaries.js";

const P = BENCH_PRESETS;

export const BENCH_OPTIONS: OptionSpecs = {
  preset: { type: "string", help: "method list, sizes and budget", choices: BENCH_PRESET_NAMES, default: "default" },
  methods: { type: "string", help: `comma-separated methods (${BENCH_METHOD_NAMES.join(", ")})`, metavar: "A,B,C", default: "the preset's" },
  "train-len": { type: "int", help: "training length L", metavar: "L", default: `${P.default.trainLen} (full: ${P.full.trainLen})` },
  "eval-lens": { type: "ints", help: "evaluation lengths", metavar: "N,M,…", default: "L, 2L, 4L, …, 32L" },
  steps: { type: "int", help: "training steps per model (--suite tasks: every task's)", metavar: "S", default: `${P.default.train.steps} (full: ${P.full.train.steps}; --suite tasks: ${Object.entries(TASK_SUITE_DEFAULTS.train).map(([t, r]) => `${t} ${r.steps}`).join(", ")})` }, // from the presets: the help cannot drift
  "passkey-steps": { type: "int", help: "passkey fine-tuning steps after each language model (a key hidden in the text, asked at the end; 0 = no passkey)", metavar: "K", default: `${P.default.train.passkeySteps} (full: ${P.full.train.passkeySteps})` },
  seeds: { type: "int", help: "number of seeds (seeds 0 … N−1)", metavar: "N", default: `${P.default.seeds} (full: ${P.full.seeds})` },
  data: { type: "string", help: "training text: file, folder of .txt or glob", metavar: "PATH", default: "the Brown corpus" },
  out: { type: "string", help: "folder that receives <timestamp>/", metavar: "DIR", default: "reports" },
  threads: { type: "int", help: "engine threads of each training and evaluation", metavar: "T", default: "cores ÷ jobs (--suite tasks: 1)" },
  resume: { type: "string", help: "continue an interrupted bench in this folder (only --threads and --jobs may be given with it)", metavar: "DIR" },
  "dry-run": { type: "boolean", help: "print the resolved plan and time estimate as JSON; run nothing, write nothing" },
  queue: { type: "string", help: "run the cells on workers through Redis (BullMQ) instead of here (--suite lm only); start workers with `extrapos worker --queue URL`", metavar: "redis://[user:pass@]host:port[/db]" },
  attempts: { type: "int", help: "with --queue: tries per cell before it is shown failed", metavar: "N", default: "2" },
  suite: { type: "string", help: "lm: language modelling (train short, test long); tasks: copy, reverse, associative recall per test-length band", choices: ["lm", "tasks"], default: "lm" },
  tasks: { type: "string", help: "--suite tasks: comma-separated tasks", metavar: "A,B", default: "copy,reverse,associative-recall" },
  "task-lengths": { type: "string", help: "--suite tasks: training lengths A:B of every task (each example's length drawn from the range; a task starts at its shortest example)", metavar: "A:B", default: `each task's own: ${SUITE_TASKS.map((t) => `${t} ${TASK_SUITE_DEFAULTS.train[t].lengths.join(":")}`).join(", ")}` },
  jobs: { type: "int", help: "trainings (and evaluations) at once, each on its own worker thread; the numbers do not change", metavar: "J", default: "one per core, at most one per training (--suite tasks: cores ÷ threads)" },
};

const PLAN_FLAGS = ["preset", "methods", "train-len", "eval-lens", "steps", "passkey-steps", "seeds", "data", "out", "attempts"] as const;

export interface BenchDeps {
  /** Runner factory (default: the real one, on worker threads when `jobs` > 1); tests pass the fake. */
  runnerFor(data: string | null, jobs: number): Runner;
  /** The task suite's runner (default: the real one). */
  taskRunner?: TaskRunner;
  stdout: ProgressStream;
  stderr: ProgressStream;
  now(): Date;
  /** Install the Ctrl-C handler (the real command only). */
  handleSignals: boolean;
}

const DEFAULT_DEPS: BenchDeps = { runnerFor: (data, jobs) => (jobs > 1 ? workerRunner(data) : realRunner(data)), stdout: process.stdout, stderr: process.stderr, now: () => new Date(), handleSignals: true };

/** "2025-01-02T03-04-05" (UTC; no colons, so the folder name is portable). */
export function timestampName(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "").replace(/:/g, "-");
}

function freshDir(out: string, d: Date): string {
  const base = join(out, timestampName(d));
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    if (!existsSync(dir)) return dir;
  }
}

function planFromArgs(a: ReturnType<typeof parseArgs>): BenchPlan {
  const methods = getString(a, "methods");
  return resolvePlan({
    preset: getString(a, "preset") as BenchPresetName | undefined,
    methods: methods === undefined ? undefined : methods.split(",").map((m) => m.trim()).filter(Boolean),
    trainLen: getNumber(a, "train-len"), evalLens: getNumbers(a, "eval-lens"), steps: getNumber(a, "steps"), passkeySteps: getNumber(a, "passkey-steps"), seeds: getNumber(a, "seeds"),
    data: getString(a, "data"), threads: getNumber(a, "threads"), jobs: getNumber(a, "jobs"),
  });
}

function describe(plan: BenchPlan, dir: string): string {
  const b = estimateBudget(plan);
  const limit = b.limitSeconds === null ? "" : ` (limit ${formatDuration(b.limitSeconds)}${b.withinLimit ? "" : " — OVER"})`;
  return [
    `extrapos bench: preset ${plan.preset}, ${plan.methods.length} methods × ${plan.seeds.length} seed(s), ${b.trainings} trainings`,
    `  methods: ${plan.methods.join(", ")}`,
    `  model: d_model ${plan.model.d_model}, ${plan.model.n_layers} layers, ${plan.model.n_heads} heads; L = ${plan.trainLen}; eval at ${plan.evalLens.join(", ")}`,
    `  training: ${plan.train.steps} steps × batch ${plan.train.batch}, lr ${plan.train.lr}, passkey fine-tuning ${plan.train.passkeySteps} steps × batch ${plan.train.passkeyBatch}, lr ${plan.train.passkeyLr}${plan.train.passkeyCurriculum ? `, distance curriculum over ${plan.train.passkeyCurriculum} of them` : ""}; ${plan.jobs > 1 ? `${plan.jobs} trainings at once × ${plan.threads} thread(s)` : `${plan.threads} thread(s)`}; data: ${plan.data ?? "Brown corpus"}`,
    `  estimated time: ${formatDuration(b.totalSeconds)}${limit} = ${plan.jobs > 1 ? "(" : ""}${b.trainings} × ${b.trainSecondsPerModel.toFixed(0)} s training + ${b.evaluations} × ${b.evalSecondsPerModel.toFixed(0)} s evaluation${plan.jobs > 1 ? `) ÷ ${Math.min(plan.jobs, b.trainings)} at once + the last training's tail` : ""}`,
    `  folder: ${dir}  (interrupted? resume with: extrapos bench --resume ${dir})`,
  ].join("\n");
}

/** The command with injectable dependencies (tests run it in-process with the fake runner). */
export async function runBench(argv: string[], deps: BenchDeps = DEFAULT_DEPS): Promise<number> {
  if (wantsHelp(argv, BENCH_OPTIONS)) {
    deps.stdout.write(`Usage: extrapos bench [options]   (npm start = extrapos bench)\n${formatOptions(BENCH_OPTIONS)}\n`);
    return 0;
  }
  const a = parseArgs(argv, BENCH_OPTIONS);
  if (a.positionals.length > 0) throw new ExtraposError("invalid_argument", `unexpected argument ${JSON.stringify(a.positionals[0])}`);
  if (getString(a, "suite") === "tasks" && a.options.has("queue")) throw new ExtraposError("invalid_argument", "--queue runs the language-modelling suite only (--suite lm), not --suite tasks", "the task suite runs on this machine only (it has no per-cell state for workers to resume and merge yet; docs/experiment.md \"On a job queue\"): use --jobs J for J trainings at once, or split it by --tasks/--methods over machines");
  if (getString(a, "suite") === "tasks") return runTaskBench(a, argv, deps, (out) => freshDir(out, deps.now()));
  const taskOnly = (["tasks", "task-lengths"] as const).find((f) => a.options.has(f));
  if (taskOnly) throw new ExtraposError("invalid_argument", `--${taskOnly} applies to --suite tasks`);
  const resume = getString(a, "resume");
  let state: BenchState, dir: string;
  if (resume !== undefined) {
    const extra = PLAN_FLAGS.find((f) => a.options.has(f));
    if (extra) throw new ExtraposError("invalid_argument", `--${extra} cannot be combined with --resume (the bench continues with its saved plan)`, "only --threads and --jobs may change on resume");
    if (getFlag(a, "dry-run")) throw new ExtraposError("invalid_argument", "--dry-run cannot be combined with --resume");
    dir = resume;
    state = loadState(dir);
    const threads = getNumber(a, "threads"), jobs = getNumber(a, "jobs");
    if (threads !== undefined || jobs !== undefined) state.plan = { ...state.plan, ...threadsAndJobs({ threads, jobs }, trainingsOf(state.plan)) }; // the one not given fills the cores
    state.sessions.push({ started: deps.now().toISOString(), wallSeconds: 0 });
  } else {
    const plan = planFromArgs(a);
    dir = freshDir(getString(a, "out") ?? "reports", deps.now());
    if (getFlag(a, "dry-run")) {
      const b = estimateBudget(plan);
      const estimate = {
        trainings: b.trainings, evaluations: b.evaluations, train_seconds_per_model: b.trainSecondsPerModel, eval_seconds_per_model: b.evalSecondsPerModel,
        total_seconds: b.totalSeconds, limit_seconds: b.limitSeconds, within_limit: b.withinLimit,
      };
      deps.stdout.write(JSON.stringify({ plan: planToJson(plan), estimate, folder: dir }) + "\n");
      return 0;
    }
    state = newState(plan, ["extrapos", "bench", ...argv].join(" "), deps.now());
  }
  // Before anything is written: an unavailable runner, a bad --queue URL or an unreachable Redis writes nothing.
  const queued = await prepareQueue(a, resume, dir);
  if (queued) {
    // a queued study runs one cell per worker process: jobs belong to this machine, threads to the workers (their default)
    if (a.options.has("jobs")) throw new ExtraposError("invalid_argument", "--jobs runs trainings at once on this machine; a queued study (--queue) runs one cell per worker", "start more workers, or `extrapos worker --concurrency N` for several cells per machine");
    const threads = getNumber(a, "threads");
    state.plan = { ...state.plan, jobs: 1, threads: threads ?? (resume === undefined ? threadsAndJobs({ jobs: 1 }, 1).threads : state.plan.threads) };
  }
  const runner = queued ? null : deps.runnerFor(state.plan.data, state.plan.jobs);
  const encodings = benchEncodingFigures(state.plan);
  const lock = lockFolder(dir, resume === undefined ? "bench" : "bench --resume"); // one bench per folder
  deps.stderr.write(describe(state.plan, dir) + "\n"); // once the folder exists: a folder that cannot be made is one line
  if (resume === undefined) saveState(dir, state);
  const onSignal = (sig: StopSignal) => {
    deps.stderr.write(`\nextrapos bench: interrupted (${sig}); finished models are saved. Resume with: extrapos bench --resume ${dir}\n`);
    lock.release();
    process.exit(signalExitCode(sig));
  };
  const handlers = STOP_SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  if (deps.handleSignals) for (const [sig, h] of handlers) process.once(sig, h);
  try {
    // learnable encodings drawn as trained, from the first seed's finished run (runFolder: where that run is)
    const drawTrained = (st: BenchState, runFolder: (run: string) => string | null) => trainedEncodingFigures(st.plan, (m) => {
      const job = jobsOf(st.plan).find((j) => j.method === m && j.seed === st.plan.seeds[0]);
      return job && st.runs[job.run]?.status === "done" ? runFolder(job.run) : null;
    });
    // A queued study's run folders are on the workers: drawn from there when this machine sees them (shared
    // --artifacts, or workers on this machine), else at initialisation.
    const results = queued
      ? await runQueued(queued, { dir, state, env: collectEnvironment(), encodings, trainedEncodings: drawTrained, stream: deps.stderr, now: deps.now }, resume !== undefined)
      : await runExperiment({ dir, state, runner: runner!, env: collectEnvironment(), encodings, trainedEncodings: (st, d) => drawTrained(st, (run) => join(d, "runs", run)), stream: deps.stderr, now: deps.now });
    deps.stdout.write("\n" + terminalTable(results) + `\nreport: ${join(dir, "index.html")}\nresults: ${join(dir, "results.json")}, ${join(dir, "results.csv")}\ntensorboard --logdir ${dir}\n`);
    const failed = results.methods.filter((m) => m.status !== "ok");
    if (failed.length > 0) deps.stderr.write(`extrapos bench: ${failed.length} method(s) did not finish: ${failed.map((m) => `${m.name} (${m.errors.join("; ") || m.status})`).join(", ")}\n`);
    return 0;
  } catch (e) {
    if (e instanceof BenchInterrupted) {
      deps.stderr.write(`extrapos bench: ${e.message}. Resume with: extrapos bench --resume ${dir}\n`);
      return 130;
    }
    throw e;
  } finally {
    if (deps.handleSignals) for (const [sig, h] of handlers) process.removeListener(sig, h);
    lock.release();
  }
}

export const benchCommand: Command = {
  summary: SUMMARIES.bench,
  run: (argv) => runBench(argv),
};
