/**
 * The train-short-test-long experiment: for each seed and method, train (into runs/<method>-s<seed>/) and
 * evaluate at every length; persist the state after every training and every evaluation; rewrite the
 * report after every method. A failing method is recorded with its error and the others continue; an
 * interrupted bench resumes from state.json (see state.ts).
 *
 * Folder layout (so that `tensorboard --logdir reports/<timestamp>` shows every model side by side, one
 * TensorBoard run per training):
 *   reports/<timestamp>/state.json, results.json, results.csv, index.html, *.svg
 *   reports/<timestamp>/runs/<method>-s<seed>/{config.json, metrics.jsonl, events.out.tfevents.*, model.safetensors}
 *
 * Example:
 *   const state = newState(resolvePlan({ methods: ["alibi"] }), "extrapos bench", new Date());
 *   await runExperiment({ dir: "reports/x", state, runner, env: collectEnvironment(), encodings: [] });
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic-write.js";
import { formatDuration, ProgressBar, type ProgressStream } from "../train/log/progress.js";
import { encodingFigure, resultFigures, type EncodingFigureSpec, type Figure } from "./figures.js";
import { reportHtml } from "./html.js";
import { RUN_FILES } from "../train/run-dir.js";
import { jobsOf, modelJsonFor, type BenchJob, type BenchPlan } from "./plan.js";
import { benchMethod } from "./presets.js";
import { buildResults, resultsCsv, resultsJson, type BenchResults, type Environment } from "./results.js";
import type { EvalOutcome, EvalRequest, Runner } from "./runner.js";
import { saveState, type BenchState, type RunRecord } from "./state.js";

/** Thrown when a training stopped before its last step (Ctrl-C): the bench stops; `--resume` continues it. */
export class BenchInterrupted extends Error {
  constructor(readonly dir: string, what: string) {
    super(`interrupted during ${what}`);
  }
}

export interface ExperimentOptions {
  /** The bench folder, reports/<timestamp>. */
  dir: string;
  /** A new state (newState) or one loaded for --resume (its last session is the current one). */
  state: BenchState;
  runner: Runner;
  env: Environment;
  encodings: EncodingFigureSpec[];
  /** Steps between training checkpoints (default: the trainer's). */
  checkpointEvery?: number;
  /**
   * Encodings as trained (learnable ones drawn from a finished run's checkpoint): called at the start and
   * after every training; each returned spec replaces the initial figure of its method (or adds one).
   */
  trainedEncodings?: (state: BenchState, dir: string) => EncodingFigureSpec[];
  /** Progress and messages (default process.stderr). */
  stream?: ProgressStream;
  /** Wall clock in ms (default performance.now) and date (default new Date()); injectable for tests. */
  clock?: () => number;
  now?: () => Date;
}

/** Files of the report, for messages. */
export const REPORT_FILES = ["index.html", "results.json", "results.csv"] as const;

/**
 * Writes results.json, results.csv, the result figures and index.html (each atomically); returns the results.
 * The encoding figures do not change during a bench: render them once (`encodingFigure`) and write them
 * with `writeFigures`; they are passed here to be inlined in index.html.
 */
export function writeReport(dir: string, state: BenchState, env: Environment, encodings: Figure[], now: Date): BenchResults {
  const results = buildResults(state, env, now);
  const figures = resultFigures(results);
  writeFigures(dir, figures);
  writeFileAtomic(join(dir, "results.json"), resultsJson(results));
  writeFileAtomic(join(dir, "results.csv"), resultsCsv(results));
  writeFileAtomic(join(dir, "index.html"), reportHtml(results, { results: figures, encodings }));
  return results;
}

export function writeFigures(dir: string, figures: Figure[]): void {
  for (const f of figures) writeFileAtomic(join(dir, f.file), f.svg);
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
}

/** The rope_scaling dict of an eval variant at length n (null at n ≤ L: no scaling needed). */
export function ropeScalingAt(ropeType: "linear" | "yarn" | "dynamic", n: number, trainLen: number): Record<string, unknown> | null {
  if (n <= trainLen) return null;
  const factor = n / trainLen;
  return ropeType === "yarn" ? { rope_type: "yarn", factor, original_max_position_embeddings: trainLen } : { rope_type: ropeType, factor };
}

/** Evaluation calls of one job: one call for a trained method; for a variant, one per scaling factor. */
export function evalRequests(plan: BenchPlan, job: BenchJob, runDir: string): EvalRequest[] {
  const spec = benchMethod(job.method);
  const maxLen = plan.evalLens[plan.evalLens.length - 1]!;
  const base = { runDir, passkeyTrials: plan.eval.passkeyTrials, maxTokensPerLength: plan.eval.maxTokensPerLength, seed: job.seed, threads: plan.threads };
  if (spec.kind === "trained") {
    const segments = spec.evalSegments ? { cache: { sinks: 0, recent: plan.trainLen, segment: plan.trainLen } } : {};
    return [{ ...base, lengths: plan.evalLens, ropeScaling: null, lossPerPositionLength: maxLen, ...segments }];
  }
  const short = plan.evalLens.filter((n) => n <= plan.trainLen);
  const reqs: EvalRequest[] = short.length ? [{ ...base, lengths: short, ropeScaling: null, lossPerPositionLength: null }] : [];
  for (const n of plan.evalLens.filter((n) => n > plan.trainLen)) {
    reqs.push({ ...base, lengths: [n], ropeScaling: ropeScalingAt(spec.ropeType, n, plan.trainLen), lossPerPositionLength: n === maxLen ? maxLen : null });
  }
  return reqs;
}

/** Concatenates the outcomes of several evaluation calls (ascending lengths). */
export function mergeEvals(parts: EvalOutcome[]): EvalOutcome {
  const rows = parts.flatMap((p) => p.lengths.map((n, i) => ({ n, loss: p.loss[i]!, ppl: p.ppl[i]!, tokens: p.tokens[i]!, pk: p.passkeyAcc[i] ?? null, g: p.passkeyTokenAcc?.[i] ?? null, t: p.passkeyTrialAcc?.[i] ?? null, w: p.windowLoss?.[i] }))).sort((a, b) => a.n - b.n);
  const positions = parts.find((p) => p.positions !== undefined)?.positions;
  return {
    lengths: rows.map((r) => r.n), loss: rows.map((r) => r.loss), ppl: rows.map((r) => r.ppl), tokens: rows.map((r) => r.tokens), passkeyAcc: rows.map((r) => r.pk),
    lossPerPosition: parts.map((p) => p.lossPerPosition).filter((l) => l !== null).at(-1) ?? null,
    ...(rows.every((r) => r.w !== undefined) ? { windowLoss: rows.map((r) => r.w!) } : {}),
    ...(positions !== undefined ? { positions } : {}),
    ...(parts.some((p) => p.passkeyTokenAcc !== undefined) ? { passkeyTokenAcc: rows.map((r) => r.g) } : {}),
    ...(parts.some((p) => p.passkeyTrialAcc !== undefined) ? { passkeyTrialAcc: rows.map((r) => r.t) } : {}),
    wallSeconds: parts.reduce((a, p) => a + p.wallSeconds, 0),
  };
}

class Session {
  readonly t0: number;
  readonly clock: () => number;
  readonly now: () => Date;
  readonly stream: ProgressStream;
  readonly wall0: number;

  constructor(readonly o: ExperimentOptions) {
    this.clock = o.clock ?? (() => performance.now());
    this.now = o.now ?? (() => new Date());
    this.stream = o.stream ?? process.stderr;
    this.t0 = this.clock();
    if (o.state.sessions.length === 0) o.state.sessions.push({ started: this.now().toISOString(), wallSeconds: 0 });
    this.wall0 = o.state.sessions.at(-1)!.wallSeconds;
  }

  elapsed(): number {
    return (this.clock() - this.t0) / 1000;
  }

  save(): void {
    this.o.state.sessions.at(-1)!.wallSeconds = this.wall0 + this.elapsed();
    saveState(this.o.dir, this.o.state);
  }

  log(line: string): void {
    this.stream.write(line + "\n");
  }
}

/** Progress of one training: its own bar (one job at a time), or its share of the bench's bar (several at once). */
interface TrainDisplay {
  update(p: { step: number; loss: number; tokensPerSecond: number }): void;
  finish(): void;
}

async function train(s: Session, job: BenchJob, display: TrainDisplay): Promise<RunRecord> {
  const { state, dir, runner } = s.o;
  const plan = state.plan;
  const runDir = join(dir, "runs", job.run);
  // An unfinished run from an interrupted session (Ctrl-C, kill -9, a queue worker that died) continues
  // from its last checkpoint (bit-identical to an uninterrupted run); without one it is deleted and retrained.
  const resume = existsSync(join(runDir, RUN_FILES.state)) && existsSync(join(runDir, RUN_FILES.config));
  if (!resume && existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
  state.runs[job.run] = { status: "started" };
  s.save();
  let record: RunRecord;
  try {
    const t = await runner.train({
      method: job.method, runDir, modelJson: modelJsonFor(plan, job.method), steps: plan.train.steps, batch: plan.train.batch, seqLen: plan.trainLen,
      lr: plan.train.lr, passkeySteps: plan.train.passkeySteps, passkeyLr: plan.train.passkeyLr, passkeyBatch: plan.train.passkeyBatch, passkeyCurriculum: plan.train.passkeyCurriculum, seed: job.seed, threads: plan.threads, ...(resume ? { resume } : {}), ...(s.o.checkpointEvery !== undefined ? { checkpointEvery: s.o.checkpointEvery } : {}), onProgress: (p) => display.update(p),
    });
    display.finish();
    if (t.steps < plan.train.steps) throw new BenchInterrupted(dir, `the training of ${job.run} (step ${t.steps} of ${plan.train.steps})`);
    record = { status: "done", train: t };
  } catch (e) {
    display.finish();
    if (e instanceof BenchInterrupted) throw e;
    record = { status: "failed", error: message(e) };
  }
  state.runs[job.run] = record;
  s.save();
  return record;
}

async function evaluate(s: Session, job: BenchJob): Promise<void> {
  const { state, dir, runner } = s.o;
  try {
    const parts: EvalOutcome[] = [];
    for (const req of evalRequests(state.plan, job, join(dir, "runs", job.run))) parts.push(await runner.evaluate(req));
    state.jobs[job.id] = { status: "done", eval: mergeEvals(parts) };
  } catch (e) {
    state.jobs[job.id] = { status: "failed", stage: "eval", error: message(e) };
  }
  s.save();
}

function summaryLine(state: BenchState, job: BenchJob): string {
  const j = state.jobs[job.id];
  if (!j) return `${job.id}: not run`;
  if (j.status === "failed") return `${job.id}: FAILED (${j.stage}): ${j.error}`;
  return `${job.id}: ` + j.eval.lengths.map((n, i) => `ppl@${n} ${Number.isFinite(j.eval.ppl[i]!) ? j.eval.ppl[i]!.toFixed(2) : String(j.eval.ppl[i])}`).join(", ");
}

/**
 * The encoding figures: the initial specs, each replaced by its trained version when `drawTrained` has one, in
 * plan order (a local bench and a queued one alike).
 */
export function encodingFigures(state: BenchState, initial: readonly EncodingFigureSpec[], drawTrained: () => EncodingFigureSpec[]): Figure[] {
  let trained: EncodingFigureSpec[] = [];
  try {
    trained = drawTrained();
  } catch {
    trained = []; // drawing is never worth failing a bench over
  }
  const byMethod = new Map(trained.map((t) => [t.method, t]));
  const specs = [...initial.map((e) => byMethod.get(e.method) ?? e), ...trained.filter((t) => !initial.some((e) => e.method === t.method))];
  const rank = (m: string) => { const i = state.plan.methods.indexOf(m as never); return i < 0 ? Infinity : i; };
  return specs.sort((a, b) => rank(a.method) - rank(b.method)).map(encodingFigure);
}

function currentEncodings(o: ExperimentOptions): Figure[] {
  return encodingFigures(o.state, o.encodings, () => o.trainedEncodings?.(o.state, o.dir) ?? []);
}

/**
 * Runs every unfinished job of the state (see the header); returns the final results. Up to `plan.jobs` jobs run at
 * once (the runner must then compute off the calling thread: runner-worker.ts): each lane takes the next job in
 * plan order whose model is not being trained by another lane (an eval variant waits for its base's training
 * while the other lanes go on), so with one lane the order is the plan's. Every number is the same whatever
 * the lanes: each training and evaluation is deterministic and the state is keyed by job.
 */
export async function runExperiment(o: ExperimentOptions): Promise<BenchResults> {
  const s = new Session(o);
  const { state } = o;
  const plan = state.plan;
  const jobs = jobsOf(plan);
  const attempted = new Set<string>();
  const training = new Map<string, Promise<RunRecord>>();
  const times: number[] = [];
  let encodings = currentEncodings(o);
  writeFigures(o.dir, encodings);
  s.save();
  const pending = jobs.map((job, k) => ({ job, k })).filter(({ job, k }) => {
    if (state.jobs[job.id]?.status !== "done") return true;
    s.log(`[${k + 1}/${jobs.length}] ${job.method} s${job.seed}: finished in an earlier session, skipped`);
    return false;
  });
  const total = pending.length;
  const lanes = Math.max(1, Math.min(plan.jobs ?? 1, total));
  const perTraining = plan.train.steps + plan.train.passkeySteps;
  // several lanes: one bar over the steps of every training of this session, messages above it
  const toTrain = new Set(pending.filter(({ job }) => state.runs[job.run]?.status !== "done").map(({ job }) => job.run));
  const shared = lanes > 1 && toTrain.size > 0 ? new ProgressBar({ total: toTrain.size * perTraining, label: `${toTrain.size} trainings, ${lanes} at once:`, stream: s.stream, now: s.clock }) : null;
  const stepsDone = new Map<string, number>();
  const sharedStep = () => { let n = 0; for (const v of stepsDone.values()) n += v; return n; };
  const log = (line: string) => (shared ? shared.log(line) : s.log(line));
  const displayFor = (job: BenchJob, label: string): TrainDisplay => {
    if (!shared) {
      const bar = new ProgressBar({ total: perTraining, label, stream: s.stream, now: s.clock });
      return { update: (p) => bar.update({ step: p.step, loss: p.loss, tokensPerSec: p.tokensPerSecond }), finish: () => bar.finish() };
    }
    return { update: (p) => { stepsDone.set(job.run, p.step); shared.update({ step: sharedStep() }); }, finish: () => { stepsDone.set(job.run, perTraining); if (sharedStep() < shared.total) shared.update({ step: sharedStep() }); } };
  };
  const runJob = async ({ job, k }: (typeof pending)[number]): Promise<void> => {
    const label = `[${k + 1}/${jobs.length}] ${job.method} s${job.seed}`;
    const t0 = s.clock();
    let run = state.runs[job.run];
    if (run?.status !== "done") {
      if (attempted.has(job.run)) {
        if (run?.status === "started") return; // its training was interrupted in another lane: left for --resume
        state.jobs[job.id] = { status: "failed", stage: "train", error: `its model ${job.run} failed to train: ${run?.status === "failed" ? run.error : "unknown"}` };
      } else {
        attempted.add(job.run);
        log(`${label}: training ${job.run} (${plan.train.steps} steps at L = ${plan.trainLen}${plan.train.passkeySteps ? `, then ${plan.train.passkeySteps} passkey fine-tuning steps` : ""})`);
        const t = train(s, job, displayFor(job, label));
        training.set(job.run, t);
        run = await t.finally(() => training.delete(job.run));
        if (run.status === "failed") state.jobs[job.id] = { status: "failed", stage: "train", error: run.error };
        else if (o.trainedEncodings) {
          encodings = currentEncodings(o);
          writeFigures(o.dir, encodings);
        }
      }
    } else {
      log(`${label}: model ${job.run} already trained, evaluating only`);
    }
    if (run?.status === "done") {
      log(`${label}: evaluating at ${plan.evalLens.join(", ")}`);
      await evaluate(s, job);
    }
    s.save();
    writeReport(o.dir, state, o.env, encodings, s.now());
    times.push((s.clock() - t0) / 1000);
    const left = total - times.length;
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    log(`${summaryLine(state, job)} | elapsed ${formatDuration(s.elapsed())} | bench ETA ${formatDuration((left * mean) / lanes)}`);
  };
  let failure: { error: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (failure === null && pending.length > 0) {
      // the first job whose model no other lane is training; none: wait for a training to end
      const i = pending.findIndex(({ job }) => !training.has(job.run));
      if (i < 0) {
        await Promise.race(training.values()).catch(() => undefined);
        await new Promise((r) => setImmediate(r)); // let the lane whose training ended record its outcome first
        continue;
      }
      const [next] = pending.splice(i, 1);
      try {
        await runJob(next!);
      } catch (e) {
        failure ??= { error: e }; // the other lanes finish their job and stop
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  shared?.finish({ step: sharedStep() });
  if (failure !== null) throw (failure as { error: unknown }).error;
  return writeReport(o.dir, state, o.env, encodings, s.now());
}
