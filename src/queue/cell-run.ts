/**
 * Runs one cell on a worker, through exactly the code of a local bench: `runExperiment` on the cell's
 * own one-seed plan, in the cell's folder `<artifacts>/<study>/<base>-s<seed>/` (state.json, a report
 * of that cell, runs/<base>-s<seed>/ with the checkpoints, metrics.jsonl and TensorBoard events).
 *
 * Idempotent (BullMQ delivers at least once): the folder is keyed by the cell, and a second delivery
 * reads its state.json like `extrapos bench --resume` does — finished work is returned as it is, an
 * interrupted training continues from its last checkpoint (bit-identical), anything else is redone and
 * overwritten with the same numbers. The variants cell reads the model its base cell left there.
 *
 * Example (in the worker's child process):
 *   const r = await runCell(parsePayload(job.data), { artifacts: "/shared/extrapos", threads: 1 });
 *   r.jobs["rope-s0"].status → "done"
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ExtraposError } from "../pe/errors.js";
import type { ProgressStream } from "../train/log/progress.js";
import { RUN_FILES } from "../train/run-dir.js";
import { collectEnvironment } from "../report/environment.js";
import { runExperiment } from "../report/experiment.js";
import { planToJson, withBases, type BenchPlan } from "../report/plan.js";
import type { Runner, TrainProgress } from "../report/runner.js";
import { realRunner } from "../report/runner-real.js";
import { loadState, newState, STATE_FILE, type BenchState, type JobRecord, type RunRecord } from "../report/state.js";
import { resultIds, type ParsedPayload } from "./cells.js";

export type CellProgress = ({ phase: "train" } & TrainProgress & { steps: number }) | { phase: "eval"; lengths: number[] };

export interface CellContext {
  /** Root of the run folders (shared storage, or this machine's). */
  artifacts: string;
  /** Engine threads for a new training (null: the study's); a resumed one keeps its own. */
  threads: number | null;
  checkpointEvery?: number;
  onProgress?: (p: CellProgress) => void;
  /** The runner (default: the real one); tests may pass another. */
  runnerFor?: (data: string | null) => Runner;
  stream?: ProgressStream;
}

/** What a cell sends back through the queue: its records, keyed like state.json's. */
export interface CellRecords {
  runs: Record<string, RunRecord>;
  jobs: Record<string, JobRecord>;
}

export interface CellOutcome extends CellRecords {
  /** The cell's folder on this worker. */
  folder: string;
  /** The training continued from a checkpoint a previous attempt left. */
  resumed: boolean;
}

export function cellFolder(artifacts: string, study: string, run: string): string {
  return join(artifacts, study, run);
}

/** The plan without what may differ between cells of one study (methods, seeds, threads, jobs), for comparison. */
function studyKey(plan: BenchPlan): string {
  const { methods: _m, seeds: _s, threads: _t, jobs: _j, ...rest } = planToJson(plan);
  return JSON.stringify(rest);
}

function cellState(p: ParsedPayload, dir: string, plan: BenchPlan): BenchState {
  if (!existsSync(join(dir, STATE_FILE))) {
    if (p.cell.after !== null) {
      throw new ExtraposError("io", `cell ${p.cell.id} needs the model ${p.cell.run} in ${dir}, which is not on this worker`, "run every worker with the same shared --artifacts folder, so any worker can evaluate any model");
    }
    return newState(plan, `extrapos worker: study ${p.study}, cell ${p.cell.id}`, new Date());
  }
  const st = loadState(dir);
  if (studyKey(st.plan) !== studyKey(plan)) throw new ExtraposError("invalid_argument", `${join(dir, STATE_FILE)} belongs to another plan than study ${p.study}'s; refusing to mix them`, "give each study its own id (the coordinator does)");
  if (p.cell.after !== null && st.runs[p.cell.run]?.status !== "done") {
    throw new ExtraposError("invalid_argument", `cell ${p.cell.id} needs the trained model ${p.cell.run}, which ${dir} does not hold finished`);
  }
  st.plan = plan;
  st.sessions.push({ started: new Date().toISOString(), wallSeconds: 0 });
  return st;
}

/** Runs the cell (see the header); failures are in the records, as a local bench records them. */
export async function runCell(p: ParsedPayload, ctx: CellContext): Promise<CellOutcome> {
  // one thing at a time in a cell (its training, then its evaluations), on this process's thread: cells are the unit of parallelism
  const plan: BenchPlan = { ...p.plan, methods: withBases(p.cell.methods), seeds: [p.cell.seed], threads: ctx.threads ?? p.plan.threads, jobs: 1 };
  const dir = cellFolder(ctx.artifacts, p.study, p.cell.run);
  const state = cellState(p, dir, plan);
  mkdirSync(dir, { recursive: true });
  const resumed = state.runs[p.cell.run]?.status !== "done" && existsSync(join(dir, "runs", p.cell.run, RUN_FILES.state));
  const inner = (ctx.runnerFor ?? realRunner)(plan.data);
  const report = ctx.onProgress ?? (() => {});
  const runner: Runner = {
    train: (req) => inner.train({ ...req, onProgress: (q) => (req.onProgress(q), report({ phase: "train", ...q, steps: req.steps })) }),
    evaluate: (req) => (report({ phase: "eval", lengths: req.lengths }), inner.evaluate(req)),
  };
  const sink: ProgressStream = ctx.stream ?? { write: () => true };
  await runExperiment({
    dir, state, runner, env: collectEnvironment(), encodings: [], stream: sink, ...(ctx.checkpointEvery !== undefined ? { checkpointEvery: ctx.checkpointEvery } : {}),
  });
  const out: CellOutcome = { runs: {}, jobs: {}, folder: dir, resumed };
  const run = state.runs[p.cell.run];
  if (run) out.runs[p.cell.run] = run;
  for (const id of resultIds(p.cell)) {
    const j = state.jobs[id];
    if (j) out.jobs[id] = j;
  }
  return out;
}
