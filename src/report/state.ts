/**
 * `state.json`: what a bench has finished, rewritten atomically after every training and every
 * evaluation, so that a bench killed at any moment (Ctrl-C, kill -9) resumes with `--resume DIR` and
 * redoes only the unfinished work.
 *
 * - `runs[<method>-s<seed>]`: one training (eval variants share their base's run). `started` = a training
 *   was under way (on resume it continues from its last checkpoint, or is deleted and retrained when it has none); `done` holds the summary.
 * - `jobs[<method>-s<seed>]`: one method's evaluation. Failed runs and jobs are retried on resume.
 * - Numbers that JSON cannot hold (NaN, ±Infinity: a diverged loss) are stored as the strings "NaN",
 *   "Infinity", "-Infinity" and read back as numbers (as metrics.jsonl does).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic-write.js";
import { ExtraposError, show } from "../pe/errors.js";
import { planFromJson, planToJson, type BenchPlan } from "./plan.js";
import type { EvalOutcome, TrainOutcome } from "./runner.js";

export type RunRecord = { status: "started" } | { status: "done"; train: TrainOutcome } | { status: "failed"; error: string };
export type JobRecord = { status: "done"; eval: EvalOutcome } | { status: "failed"; stage: "train" | "eval"; error: string };

export interface BenchSession {
  /** ISO time the session started. */
  started: string;
  /** Seconds this session has run so far. */
  wallSeconds: number;
}

export interface BenchState {
  version: 1;
  plan: BenchPlan;
  /** The command line that created the bench (for the report). */
  command: string;
  sessions: BenchSession[];
  runs: Record<string, RunRecord>;
  jobs: Record<string, JobRecord>;
}

export const STATE_FILE = "state.json";

/** JSON.stringify replacer/reviver pair for non-finite numbers (see the header). */
export function encodeNonFinite(_key: string, v: unknown): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  return v;
}
function decodeNonFinite(_key: string, v: unknown): unknown {
  return v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v;
}

export function newState(plan: BenchPlan, command: string, now: Date): BenchState {
  return { version: 1, plan, command, sessions: [{ started: now.toISOString(), wallSeconds: 0 }], runs: {}, jobs: {} };
}

export function saveState(dir: string, s: BenchState): void {
  const json = { ...s, plan: planToJson(s.plan) };
  writeFileAtomic(join(dir, STATE_FILE), JSON.stringify(json, encodeNonFinite, 1) + "\n");
}

function bad(dir: string, message: string): ExtraposError {
  return new ExtraposError("invalid_argument", `--resume ${JSON.stringify(dir)}: ${message}`);
}

function isNumArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === "number");
}

function checkTrain(t: unknown): t is TrainOutcome {
  const o = t as TrainOutcome | null;
  return !!o && typeof o.steps === "number" && !!o.curve && isNumArray(o.curve.step) && isNumArray(o.curve.trainLoss) && isNumArray(o.curve.validLoss);
}

function checkEval(e: unknown): e is EvalOutcome {
  const o = e as EvalOutcome | null;
  return !!o && isNumArray(o.lengths) && isNumArray(o.ppl) && isNumArray(o.loss) && isNumArray(o.tokens) && Array.isArray(o.passkeyAcc) && o.ppl.length === o.lengths.length;
}

/** Reads DIR/state.json, validating the plan and every record; refuses a folder that is not a bench. */
export function loadState(dir: string): BenchState {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) throw bad(dir, `no ${STATE_FILE} (not a bench folder, or the bench never started)`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"), decodeNonFinite) as Record<string, unknown>;
  } catch (e) {
    throw bad(dir, `${STATE_FILE} is not JSON (${(e as Error).message})`);
  }
  if (raw.version !== 1) throw bad(dir, `${STATE_FILE} \`version\` must be 1, got ${show(raw.version)}`);
  const plan = planFromJson(raw.plan, "state.plan");
  const runs = (raw.runs ?? {}) as Record<string, RunRecord>;
  const jobs = (raw.jobs ?? {}) as Record<string, JobRecord>;
  for (const [id, r] of Object.entries(runs)) {
    const ok = r.status === "started" || (r.status === "done" && checkTrain(r.train)) || (r.status === "failed" && typeof r.error === "string");
    if (!ok) throw bad(dir, `${STATE_FILE} \`runs.${id}\` is not a valid run record`);
  }
  for (const [id, j] of Object.entries(jobs)) {
    const ok = (j.status === "done" && checkEval(j.eval)) || (j.status === "failed" && typeof j.error === "string");
    if (!ok) throw bad(dir, `${STATE_FILE} \`jobs.${id}\` is not a valid job record`);
  }
  const sessions = Array.isArray(raw.sessions) ? (raw.sessions as BenchSession[]) : [];
  return { version: 1, plan, command: typeof raw.command === "string" ? raw.command : "", sessions, runs, jobs };
}

/** Total wall time over all sessions. */
export function totalWallSeconds(s: BenchState): number {
  return s.sessions.reduce((a, x) => a + (Number.isFinite(x.wallSeconds) ? x.wallSeconds : 0), 0);
}
