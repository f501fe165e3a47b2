/**
 * A bench plan: a preset with the command line's overrides applied, validated once (every method's model
 * config is parsed here, so a bad `--train-len` fails before anything is trained). The plan is stored in
 * `state.json` (file form, snake_case) and read back, validated again, by `--resume`.
 *
 * Example:
 *   const plan = resolvePlan({ preset: "default", methods: ["alibi", "rope-yarn"], steps: 50 });
 *   plan.methods → ["alibi", "rope", "rope-yarn"]  (rope-yarn evaluates the rope model, so rope is added)
 */
import { availableParallelism } from "node:os";
import { ExtraposError, show } from "../pe/errors.js";
import { parseModelConfig } from "../model/config.js";
import { passkeyMixFixedTokens } from "../data/passkey-mix.js";
import { byteTokenizer } from "../data/tokenizer.js";
import { BENCH_METHOD_NAMES, BENCH_PRESET_NAMES, BENCH_PRESETS, benchMethod, isBenchMethod, type BenchMethodName, type BenchPresetName, type TimeBudget } from "./presets.js";

export interface BenchOverrides {
  preset?: BenchPresetName;
  methods?: string[];
  trainLen?: number;
  evalLens?: number[];
  steps?: number;
  /** `--passkey-steps`: steps of passkey fine-tuning after each language model (src/data/passkey-mix.ts). */
  passkeySteps?: number;
  /** Number of seeds: seeds 0 … n − 1. */
  seeds?: number;
  /** `--data` (file, folder or glob); absent = the Brown corpus. */
  data?: string;
  /** Engine threads of each training and evaluation (default: the cores ÷ `jobs`). */
  threads?: number;
  /** Trainings (and evaluations) at once, each on its own worker thread (default: one per core, at most one per training). */
  jobs?: number;
  /** Cores of the machine, for the defaults of `threads` and `jobs` (default: os.availableParallelism()). */
  cores?: number;
}

export interface BenchPlan {
  preset: BenchPresetName;
  methods: BenchMethodName[];
  seeds: number[];
  trainLen: number;
  /** Ascending, distinct. */
  evalLens: number[];
  model: { d_model: number; n_layers: number; n_heads: number; embedding: "none" | "sqrt_d" };
  /** `passkeySteps`: the passkey fine-tuning after each language model (0 when L is too short for the template). */
  train: { steps: number; batch: number; lr: number; passkeySteps: number; passkeyLr: number; passkeyBatch: number; passkeyCurriculum: number };
  eval: { maxTokensPerLength: number; passkeyTrials: number };
  /** null = the Brown corpus. */
  data: string | null;
  /** Engine threads of each training and evaluation. */
  threads: number;
  /**
   * Trainings and evaluations at once, each on its own worker thread (1: one after the other on the calling
   * thread). Changes no number: a training gives the same bits whatever the thread it runs on and its `threads`.
   */
  jobs: number;
  budget: TimeBudget;
}

/** Longest evaluation length the plans accept (a 32·L eval at L = 2048). */
export const MAX_EVAL_LEN = 65536;

function bad(message: string, hint?: string): ExtraposError {
  return new ExtraposError("invalid_argument", message, hint);
}

function positiveInt(v: number, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw bad(`--${flag} must be an integer in [1, ${max}], got ${show(v)}`);
  return v;
}

/** Methods in the given order, deduplicated; an eval variant's base is placed before it (added if missing). */
export function withBases(methods: readonly string[]): BenchMethodName[] {
  if (methods.length === 0) throw bad("--methods must name at least one method", `methods: ${BENCH_METHOD_NAMES.join(", ")}`);
  const out: BenchMethodName[] = [];
  for (const m of methods) {
    if (!isBenchMethod(m)) throw new ExtraposError("unknown_method", `--methods: unknown bench method ${JSON.stringify(m)}`, `methods: ${BENCH_METHOD_NAMES.join(", ")}`);
    const spec = benchMethod(m);
    if (spec.kind === "eval-variant" && !out.includes(spec.base)) out.push(spec.base);
    if (!out.includes(m)) out.push(m);
  }
  return out;
}

/**
 * The passkey fine-tuning steps of a plan: the requested number, or 0 when the training length cannot hold
 * the mixed-passkey template (byte tokens; e.g. the tests' L = 8), where the passkey is not measured either.
 */
export function passkeyStepsFor(steps: number, trainLen: number): number {
  if (!Number.isInteger(steps) || steps < 0) throw bad(`--passkey-steps must be an integer ≥ 0 (0 = no passkey fine-tuning), got ${show(steps)}`);
  return trainLen < passkeyMixFixedTokens(byteTokenizer) ? 0 : steps;
}

/** Applies overrides to a preset and validates the result (see the header). */
export function resolvePlan(o: BenchOverrides = {}): BenchPlan {
  const presetName = o.preset ?? "default";
  if (!BENCH_PRESET_NAMES.includes(presetName)) throw bad(`--preset must be one of ${BENCH_PRESET_NAMES.join(", ")}, got ${show(presetName)}`);
  const p = BENCH_PRESETS[presetName];
  const trainLen = positiveInt(o.trainLen ?? p.trainLen, "train-len", MAX_EVAL_LEN);
  const evalLens = [...new Set((o.evalLens ?? p.evalMultiples.map((m) => m * trainLen)).map((n) => positiveInt(n, "eval-lens", MAX_EVAL_LEN)))].sort((a, b) => a - b);
  if (evalLens.length === 0) throw bad("--eval-lens must list at least one length");
  const plan: BenchPlan = {
    preset: presetName,
    methods: withBases(o.methods ?? p.methods),
    seeds: Array.from({ length: positiveInt(o.seeds ?? p.seeds, "seeds", 100) }, (_, i) => i),
    trainLen,
    evalLens,
    model: { ...p.model },
    train: { ...p.train, steps: positiveInt(o.steps ?? p.train.steps, "steps"), passkeySteps: passkeyStepsFor(o.passkeySteps ?? p.train.passkeySteps, trainLen) },
    eval: { ...p.eval },
    data: o.data ?? null,
    threads: 1,
    jobs: 1,
    budget: { ...p.budget },
  };
  Object.assign(plan, threadsAndJobs(o, trainingsOf(plan)));
  for (const m of plan.methods) modelJsonFor(plan, m);
  return plan;
}

/** Number of trainings of a plan: its trained methods (not the eval variants) × its seeds. */
export function trainingsOf(plan: Pick<BenchPlan, "methods" | "seeds">): number {
  return plan.methods.filter((m) => benchMethod(m).kind === "trained").length * plan.seeds.length;
}

/**
 * Engine threads and concurrent jobs for `trainings` trainings on `cores` cores (default os.availableParallelism()):
 * what is given is kept; the rest fills the cores. Neither given: one job per core up to one per training, and the
 * cores left to each job as threads — `npm start` (14 trainings, 2 cores) runs 2 trainings at once with 1 thread
 * each, a one-method bench 1 training with 2 threads. Small models gain more from a second training than from a
 * second thread (measured: docs/experiment.md "Presets"), and the numbers are the same either way.
 * Example: `threadsAndJobs({ cores: 2 }, 14)` → {threads: 1, jobs: 2}; `threadsAndJobs({ cores: 2 }, 1)` → {threads: 2, jobs: 1}.
 */
export function threadsAndJobs(o: { threads?: number; jobs?: number; cores?: number }, trainings: number): { threads: number; jobs: number } {
  const cores = positiveInt(o.cores ?? availableParallelism(), "cores", 4096);
  const n = Math.max(1, trainings);
  if (o.jobs !== undefined) {
    const jobs = positiveInt(o.jobs, "jobs", 256);
    return { jobs, threads: positiveInt(o.threads ?? Math.max(1, Math.floor(cores / jobs)), "threads", 256) };
  }
  if (o.threads !== undefined) {
    const threads = positiveInt(o.threads, "threads", 256);
    return { threads, jobs: Math.max(1, Math.min(n, Math.floor(cores / threads))) };
  }
  const jobs = Math.max(1, Math.min(n, cores));
  return { jobs, threads: Math.max(1, Math.floor(cores / jobs)) };
}

/** The trained method whose run a method uses (itself, or an eval variant's base). */
export function trainedMethodOf(method: BenchMethodName): BenchMethodName {
  const spec = benchMethod(method);
  return spec.kind === "eval-variant" ? spec.base : method;
}

/**
 * The full model config (file form) of a trained method, validated by `parseModelConfig`.
 * Example: `modelJsonFor(plan, "alibi")` → {d_model: 64, n_layers: 2, n_heads: 4, context_length: 64, pe: {kind: "alibi"}}.
 */
export function modelJsonFor(plan: BenchPlan, method: BenchMethodName): Record<string, unknown> {
  const spec = benchMethod(trainedMethodOf(method));
  if (spec.kind !== "trained") throw new ExtraposError("internal", `bench method ${method} has no trained base`);
  const json = { ...plan.model, context_length: plan.trainLen, ...spec.model({ trainLen: plan.trainLen, maxEvalLen: plan.evalLens[plan.evalLens.length - 1]!, nLayers: plan.model.n_layers, nHeads: plan.model.n_heads }) };
  try {
    parseModelConfig(json);
  } catch (e) {
    if (e instanceof ExtraposError) throw bad(`bench method ${method}: ${e.message}`, e.hint);
    throw e;
  }
  return json;
}

/** One unit of work: a method at a seed. Its run directory is that of the trained method. */
export interface BenchJob {
  /** `<method>-s<seed>`, e.g. "rope-yarn-s0". */
  id: string;
  method: BenchMethodName;
  seed: number;
  /** Run folder name under runs/, e.g. "rope-s0" for rope-yarn. */
  run: string;
}

/** Jobs in execution order: per seed, the methods in plan order (bases before their variants). */
export function jobsOf(plan: BenchPlan): BenchJob[] {
  return plan.seeds.flatMap((seed) => plan.methods.map((method) => ({ id: `${method}-s${seed}`, method, seed, run: `${trainedMethodOf(method)}-s${seed}` })));
}

/** The plan in file form (snake_case keys), as stored in state.json and results.json. */
export function planToJson(p: BenchPlan): Record<string, unknown> {
  return {
    preset: p.preset, methods: p.methods, seeds: p.seeds, train_len: p.trainLen, eval_lens: p.evalLens, model: p.model,
    train: { steps: p.train.steps, batch: p.train.batch, lr: p.train.lr, passkey_steps: p.train.passkeySteps, passkey_lr: p.train.passkeyLr, passkey_batch: p.train.passkeyBatch, passkey_curriculum: p.train.passkeyCurriculum },
    eval: { max_tokens_per_length: p.eval.maxTokensPerLength, passkey_trials: p.eval.passkeyTrials },
    data: p.data, threads: p.threads, jobs: p.jobs,
    budget: {
      assumed_train_tokens_per_second: p.budget.assumedTrainTokensPerSecond, assumed_eval_tokens_per_second: p.budget.assumedEvalTokensPerSecond,
      overhead_seconds_per_model: p.budget.overheadSecondsPerModel, startup_seconds: p.budget.startupSeconds, limit_seconds: p.budget.limitSeconds,
      ...(p.budget.parallelSpeedup !== undefined ? { parallel_speedup: p.budget.parallelSpeedup } : {}),
    },
  };
}

type Obj = Record<string, unknown>;

function obj(x: unknown, where: string): Obj {
  if (typeof x !== "object" || x === null || Array.isArray(x)) throw bad(`${where} must be an object, got ${show(x)}`);
  return x as Obj;
}

function num(o: Obj, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw bad(`\`${where}.${key}\` must be a finite number, got ${show(v)}`);
  return v;
}

/** Reads a stored plan back (from state.json), refusing anything that does not resolve to the same plan. */
export function planFromJson(x: unknown, where = "plan"): BenchPlan {
  const o = obj(x, `\`${where}\``);
  const model = obj(o.model, `\`${where}.model\``), train = obj(o.train, `\`${where}.train\``), ev = obj(o.eval, `\`${where}.eval\``), b = obj(o.budget, `\`${where}.budget\``);
  if (!Array.isArray(o.methods) || !Array.isArray(o.seeds) || !Array.isArray(o.eval_lens)) throw bad(`\`${where}\` must hold arrays \`methods\`, \`seeds\` and \`eval_lens\``);
  const plan: BenchPlan = {
    preset: o.preset as BenchPresetName,
    methods: withBases(o.methods.map(String)),
    seeds: o.seeds.map((s) => positiveInt(Number(s) + 1, "seeds") - 1),
    trainLen: positiveInt(num(o, "train_len", where), "train-len", MAX_EVAL_LEN),
    evalLens: o.eval_lens.map((n) => positiveInt(Number(n), "eval-lens", MAX_EVAL_LEN)),
    model: {
      d_model: num(model, "d_model", `${where}.model`), n_layers: num(model, "n_layers", `${where}.model`), n_heads: num(model, "n_heads", `${where}.model`),
      embedding: model.embedding === "sqrt_d" ? "sqrt_d" : "none",
    },
    train: {
      steps: positiveInt(num(train, "steps", `${where}.train`), "steps"), batch: num(train, "batch", `${where}.train`), lr: num(train, "lr", `${where}.train`),
      // absent in benches from before the passkey fine-tuning
      passkeySteps: train.passkey_steps === undefined ? 0 : num(train, "passkey_steps", `${where}.train`), passkeyLr: train.passkey_lr === undefined ? 0 : num(train, "passkey_lr", `${where}.train`),
      // absent in benches from before the passkey batch and curriculum (they fine-tuned at the language model's batch, without one)
      passkeyBatch: train.passkey_batch === undefined ? num(train, "batch", `${where}.train`) : num(train, "passkey_batch", `${where}.train`),
      passkeyCurriculum: train.passkey_curriculum === undefined ? 0 : num(train, "passkey_curriculum", `${where}.train`),
    },
    eval: { maxTokensPerLength: num(ev, "max_tokens_per_length", `${where}.eval`), passkeyTrials: num(ev, "passkey_trials", `${where}.eval`) },
    data: typeof o.data === "string" ? o.data : null,
    threads: positiveInt(num(o, "threads", where), "threads", 256),
    // absent in benches from before concurrent jobs: one after the other
    jobs: o.jobs === undefined ? 1 : positiveInt(num(o, "jobs", where), "jobs", 256),
    budget: {
      assumedTrainTokensPerSecond: num(b, "assumed_train_tokens_per_second", `${where}.budget`), assumedEvalTokensPerSecond: num(b, "assumed_eval_tokens_per_second", `${where}.budget`),
      overheadSecondsPerModel: num(b, "overhead_seconds_per_model", `${where}.budget`), startupSeconds: num(b, "startup_seconds", `${where}.budget`),
      limitSeconds: b.limit_seconds === null ? null : num(b, "limit_seconds", `${where}.budget`),
      ...(b.parallel_speedup !== undefined ? { parallelSpeedup: num(b, "parallel_speedup", `${where}.budget`) } : {}),
    },
  };
  if (!BENCH_PRESET_NAMES.includes(plan.preset)) throw bad(`\`${where}.preset\` must be one of ${BENCH_PRESET_NAMES.join(", ")}, got ${show(o.preset)}`);
  for (const m of plan.methods) modelJsonFor(plan, m);
  return plan;
}
