/**
 * `extrapos bench --queue URL`'s side: enqueue one job per unfinished cell (variants as flow parents of
 * their base's cell), then follow the study until every cell is done or failed — merging each result
 * into state.json and rewriting the same report as a local bench, as results arrive — and print the
 * state of the queue: cells waiting / active (where) / done / failed, aggregate tokens/s, ETA.
 *
 * The study lives in the bench folder beside state.json, in queue.json: its id, the queue, the Redis URL
 * (password removed), each cell's job generation, and where and how each cell ran (host, folder,
 * attempt, kernel build, versions). `extrapos bench --resume DIR` reattaches: finished jobs whose result
 * the coordinator never merged are merged, failed cells are queued again (next generation), jobs Redis
 * lost are queued again; workers skip whatever the cell folders already hold.
 *
 * Polling (not a Redis stream subscription) makes the follower indifferent to Redis restarts: each
 * round asks the jobs' state again once the connection is back.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FlowProducer, Queue, type Job } from "bullmq";
import { writeFileAtomic } from "../data/atomic-write.js";
import { ExtraposError } from "../pe/errors.js";
import { formatDuration, type ProgressStream } from "../train/log/progress.js";
import type { EncodingFigureSpec, Figure } from "../report/figures.js";
import { encodingFigures, writeFigures, writeReport } from "../report/experiment.js";
import type { BenchResults, Environment } from "../report/results.js";
import { saveState, type BenchState, type JobRecord, type RunRecord } from "../report/state.js";
import { cellsOf, isStudyId, payloadOf, resultIds, type Cell } from "./cells.js";
import { openRedis, type RedisTarget } from "./connection.js";
import { jobId, QUEUE_NAME } from "./names.js";
import type { CellResult, JobProgress } from "./worker.js";

export const QUEUE_FILE = "queue.json";

export interface CellRun {
  host: string;
  /** pid of the worker process. */
  worker: number;
  folder: string;
  shared: boolean;
  attempt: number;
  resumed: boolean;
  engine: { fma: boolean; reason?: string };
  versions: Record<string, string>;
  started: string;
  finished: string;
}

/** queue.json (see the header). */
export interface StudyFile {
  format: "extrapos-queue";
  version: 1;
  study: string;
  queue: string;
  redis: string;
  attempts: number;
  generation: Record<string, number>;
  cells: Record<string, CellRun>;
}

export function newStudy(study: string, target: RedisTarget, attempts: number): StudyFile {
  return { format: "extrapos-queue", version: 1, study, queue: QUEUE_NAME, redis: target.display, attempts, generation: {}, cells: {} };
}

export function loadStudy(dir: string): StudyFile | null {
  const path = join(dir, QUEUE_FILE);
  if (!existsSync(path)) return null;
  const s = JSON.parse(readFileSync(path, "utf8")) as StudyFile;
  if (s.format !== "extrapos-queue" || s.version !== 1 || !isStudyId(s.study)) throw new ExtraposError("invalid_argument", `--resume ${JSON.stringify(dir)}: ${QUEUE_FILE} is not a queued study's file`);
  return { ...s, generation: s.generation ?? {}, cells: s.cells ?? {} };
}

function saveStudy(dir: string, s: StudyFile): void {
  writeFileAtomic(join(dir, QUEUE_FILE), JSON.stringify(s, null, 1) + "\n");
}

function decode(_k: string, v: unknown): unknown {
  return v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v;
}

/** A cell is finished when all its results are in state.json as done. */
function finished(state: BenchState, c: Cell): boolean {
  return resultIds(c).every((id) => state.jobs[id]?.status === "done");
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Merges a cell's records (only the keys the cell owns; anything else a worker sent is ignored). */
function merge(state: BenchState, c: Cell, r: { runs?: unknown; jobs?: unknown }): void {
  const runs = isRecord(r.runs) ? r.runs : {}, jobs = isRecord(r.jobs) ? r.jobs : {};
  const run = runs[c.run] as RunRecord | undefined;
  if (run && (run.status === "done" || run.status === "failed")) state.runs[c.run] = run;
  for (const id of resultIds(c)) {
    const j = jobs[id] as JobRecord | undefined;
    if (j && (j.status === "done" || j.status === "failed")) state.jobs[id] = j;
  }
}

/** Records of a cell whose job failed for good. */
function mergeFailure(state: BenchState, c: Cell, job: Job): void {
  const p = job.progress as JobProgress | number;
  if (typeof p === "object" && p !== null && p.failed) merge(state, c, JSON.parse(JSON.stringify(p.failed), decode) as JobProgress["failed"] & object);
  const base = c.after === null ? undefined : state.runs[c.run];
  const reason = base?.status === "failed" ? `its model ${c.run} failed to train: ${base.error}` : (job.failedReason ?? "failed").replace(/\s*\n\s*/g, " ");
  for (const id of resultIds(c)) {
    if (state.jobs[id]?.status !== "done" && state.jobs[id]?.status !== "failed") state.jobs[id] = { status: "failed", stage: c.after === null ? "train" : "eval", error: reason };
  }
  if (c.after === null && state.runs[c.run]?.status !== "done" && state.runs[c.run]?.status !== "failed") state.runs[c.run] = { status: "failed", error: reason };
}

export interface FollowOptions {
  dir: string;
  state: BenchState;
  study: StudyFile;
  target: RedisTarget;
  env: Environment;
  encodings: EncodingFigureSpec[];
  /**
   * Encodings as trained, drawn from run folders (`runFolder(run)`: the folder of a finished run the coordinator
   * can read — shared artifacts or this machine's — else null): redrawn whenever a cell finishes, as a local bench does.
   */
  trainedEncodings?: (state: BenchState, runFolder: (run: string) => string | null) => EncodingFigureSpec[];
  stream: ProgressStream;
  now: () => Date;
  /** Poll period in ms (default 1000). */
  pollMs?: number;
}

/** Adds the jobs of the unfinished cells (see the header); returns them. */
async function enqueue(o: FollowOptions, queue: Queue, flows: FlowProducer, resuming: boolean): Promise<Cell[]> {
  const { state, study } = o;
  const cells = cellsOf(state.plan);
  const todo = cells.filter((c) => !finished(state, c));
  const opts = (c: Cell) => ({ jobId: jobId(study.study, c.id, study.generation[c.id] ?? 0), attempts: study.attempts, backoff: { type: "fixed", delay: 1000 } });
  const payload = (c: Cell) => payloadOf(study.study, state.plan, c);
  for (const c of todo) {
    if (resuming) {
      const job = await queue.getJob(opts(c).jobId);
      if (job && (await job.getState()) === "failed") {
        study.generation[c.id] = (study.generation[c.id] ?? 0) + 1; // failed cells are retried on resume, as a local bench retries them
        for (const id of resultIds(c)) delete state.jobs[id];
        if (c.after === null && state.runs[c.run]?.status === "failed") delete state.runs[c.run];
      }
    }
  }
  for (const c of todo) {
    const variants = todo.find((v) => v.after === c.id);
    if (variants) continue; // added below, as its variants' child
    const base = c.after === null ? undefined : todo.find((b) => b.id === c.after);
    if (base) {
      await flows.add({
        name: c.id, queueName: QUEUE_NAME, data: payload(c), opts: opts(c),
        children: [{ name: base.id, queueName: QUEUE_NAME, data: payload(base), opts: { ...opts(base), failParentOnFailure: true } }],
      });
    } else {
      await queue.add(c.id, payload(c), opts(c));
    }
  }
  saveStudy(o.dir, study);
  return todo;
}

interface Snapshot {
  waiting: number;
  active: string[];
  done: number;
  failed: number;
  tokensPerSecond: number;
  remainingTokens: number;
}

function statusLine(s: Snapshot, total: number): string {
  const eta = s.tokensPerSecond > 0 ? formatDuration(s.remainingTokens / s.tokensPerSecond) : "?";
  const active = s.active.length ? ` (${s.active.join(", ")})` : "";
  return `queue: ${s.waiting} waiting, ${s.active.length} active${active}, ${s.done}/${total} done, ${s.failed} failed | ${Math.round(s.tokensPerSecond).toLocaleString("en-US")} tok/s | ETA ${eta}`;
}

function describeActive(c: Cell, p: unknown): { text: string; tps: number; step: number } {
  const jp = (typeof p === "object" && p !== null ? p : {}) as JobProgress;
  const where = jp.host ? ` @${jp.host}:${jp.pid}` : "";
  const q = jp.progress;
  if (q?.phase === "train") return { text: `${c.id}${where} step ${q.step}/${q.steps}`, tps: q.tokensPerSecond, step: q.step };
  if (q?.phase === "eval") return { text: `${c.id}${where} evaluating`, tps: 0, step: Infinity };
  return { text: `${c.id}${where} starting`, tps: 0, step: 0 };
}

/** Enqueues and follows the study to its end (see the header); returns the final results. */
export async function followStudy(o: FollowOptions, resuming: boolean): Promise<BenchResults> {
  const { state, study, dir } = o;
  const connection = openRedis(o.target);
  const queue = new Queue(QUEUE_NAME, { connection });
  const flowConnection = openRedis(o.target);
  const flows = new FlowProducer({ connection: flowConnection });
  // a finished run's folder, when this machine can read it (queue.json records where each cell ran)
  const runFolder = (run: string): string | null => {
    const c = cellsOf(state.plan).find((x) => x.after === null && x.run === run);
    const at = c ? study.cells[c.id] : undefined;
    const folder = at ? join(at.folder, "runs", run) : null;
    return folder !== null && existsSync(folder) ? folder : null;
  };
  const draw = (): Figure[] => encodingFigures(state, o.encodings, () => o.trainedEncodings?.(state, runFolder) ?? []);
  let encodings = draw();
  writeFigures(dir, encodings);
  const log = (line: string) => o.stream.write(line + "\n");
  const t0 = performance.now(), session = state.sessions.at(-1), wall0 = session?.wallSeconds ?? 0;
  const save = () => {
    if (session) session.wallSeconds = wall0 + (performance.now() - t0) / 1000;
    saveState(dir, state);
    saveStudy(dir, study);
  };
  try {
    const pending = await enqueue(o, queue, flows, resuming);
    const cells = cellsOf(state.plan);
    const tokensPerStep = state.plan.train.batch * state.plan.trainLen;
    log(`study ${study.study}: ${pending.length} of ${cells.length} cells queued on ${o.target.display} (queue ${QUEUE_NAME}); start workers with: extrapos worker --queue ${o.target.display} --artifacts DIR`);
    save();
    writeReport(dir, state, o.env, encodings, o.now());
    let lastLine = "", lastPrint = 0, outage = false;
    while (pending.length > 0) {
      const snap: Snapshot = { waiting: 0, active: [], done: cells.length - pending.length, failed: 0, tokensPerSecond: 0, remainingTokens: 0 };
      let changed = false;
      try {
        for (const c of [...pending]) {
          const id = jobId(study.study, c.id, study.generation[c.id] ?? 0);
          const job = await queue.getJob(id);
          const st = job ? await job.getState() : "unknown";
          if (job && st === "completed") {
            const r = JSON.parse(JSON.stringify(job.returnvalue), decode) as CellResult;
            merge(state, c, r);
            if (r.provenance && r.artifacts) {
              study.cells[c.id] = { host: r.artifacts.host, worker: r.worker, folder: r.artifacts.folder, shared: r.artifacts.shared, attempt: r.attempt, resumed: r.resumed, engine: r.provenance.engine, versions: r.provenance.versions, started: r.provenance.started, finished: r.provenance.finished };
            }
            if (!finished(state, c)) mergeFailure(state, c, job);
          } else if (job && st === "failed") {
            mergeFailure(state, c, job);
          } else if (!job) {
            log(`${c.id}: its job ${id} is not in Redis (lost?); queueing it again`);
            await queue.add(c.id, payloadOf(study.study, state.plan, c), { jobId: id, attempts: study.attempts, backoff: { type: "fixed", delay: 1000 } });
            snap.waiting++;
            continue;
          } else {
            const steps = state.plan.train.steps;
            if (st === "active") {
              const a = describeActive(c, job.progress);
              snap.active.push(a.text);
              snap.tokensPerSecond += a.tps;
              if (c.after === null) snap.remainingTokens += Math.max(0, steps - a.step) * tokensPerStep;
            } else {
              snap.waiting++;
              if (c.after === null) snap.remainingTokens += steps * tokensPerStep;
            }
            continue;
          }
          pending.splice(pending.indexOf(c), 1);
          changed = true;
          const failed = resultIds(c).filter((r) => state.jobs[r]?.status === "failed");
          const where = study.cells[c.id] ? ` on ${study.cells[c.id]!.host}${study.cells[c.id]!.resumed ? " (resumed from a checkpoint)" : ""}` : "";
          log(failed.length ? `${c.id}: FAILED: ${failed.map((r) => (state.jobs[r] as { error: string }).error).join("; ")}` : `${c.id}: done${where}: ${resultIds(c).join(", ")}`);
        }
        if (outage) log(`queue: Redis at ${o.target.display} is reachable again`);
        outage = false;
      } catch (e) {
        if (!outage) log(`queue: Redis at ${o.target.display}: ${(e as Error).message}; retrying`);
        outage = true;
      }
      snap.done = cells.length - pending.length;
      snap.failed = cells.filter((c) => resultIds(c).some((r) => state.jobs[r]?.status === "failed")).length;
      if (changed) {
        save();
        if (o.trainedEncodings) {
          encodings = draw();
          writeFigures(dir, encodings);
        }
        writeReport(dir, state, o.env, encodings, o.now());
      }
      const line = statusLine(snap, cells.length);
      const t = performance.now();
      if (pending.length > 0 && (line !== lastLine || t - lastPrint > 10_000) && t - lastPrint > 2_000) {
        log(line);
        lastLine = line;
        lastPrint = t;
      }
      if (pending.length > 0) await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
    }
    const engines = new Set(Object.values(study.cells).map((c) => (c.engine.fma ? "fma" : "plain")));
    if (engines.size > 1) log("queue: warning: cells ran on both kernel builds (FMA and plain); their numbers are not comparable bit for bit (see queue.json)");
    save();
    return writeReport(dir, state, o.env, encodings, o.now());
  } finally {
    await Promise.race([Promise.allSettled([queue.close(), flows.close()]), new Promise((r) => setTimeout(r, 3000).unref())]);
    connection.disconnect();
    flowConnection.disconnect();
  }
}
