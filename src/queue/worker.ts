/**
 * `extrapos worker`'s engine: a BullMQ Worker on the study queue that runs each cell in a forked child
 * process (child.ts), so the worker's event loop stays free to renew the job's lock while the engine
 * trains. Progress goes to the job (`job.progress`: phase, step, loss, tokens/s, host), the result back
 * as the job's return value (records, provenance, where the run folder is).
 *
 * Failures: a malformed or hostile payload fails its job at once (UnrecoverableError, no retry, nothing
 * run); a cell whose training or evaluation failed, or whose process died, fails this attempt, and
 * BullMQ retries it up to the study's attempts (its records ride in `job.progress` for the coordinator).
 * Without shared artifacts, an eval-only variant cell whose model this worker does not hold is handed back to
 * the queue (no attempt spent) until the worker that trained the model takes it (`routeMs`, then it fails).
 * Each cell's process runs in its own process group and dies with the worker: the worker kills the group on
 * every exit path it runs code in, and the child's watchdog (parent-watch.ts) kills it when the worker was
 * killed outright (kill -9). A worker killed outright leaves its job locked; the lock expires (`lockMs`), another worker's stalled
 * check (`stalledMs`) puts it back, and its next attempt resumes from the cell's last checkpoint.
 *
 * Example:
 *   const w = await startWorker({ target: parseRedisUrl("redis://127.0.0.1:6379"), artifacts: "/shared/x", shared: true, threads: 1, concurrency: 1 });
 *   … await w.close();
 */
import { fork, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DelayedError, UnrecoverableError, Worker, type Job } from "bullmq";
import { encodeNonFinite, STATE_FILE } from "../report/state.js";
import { parsePayload, resultIds, type ParsedPayload } from "./cells.js";
import type { CellOutcome, CellProgress } from "./cell-run.js";
import type { ChildMessage, ChildRequest, Provenance } from "./child.js";
import { openRedis, type RedisTarget } from "./connection.js";
import { QUEUE_NAME } from "./names.js";
import { PARENT_PID_ENV } from "./parent-watch.js";

export interface WorkerOptions {
  target: RedisTarget;
  /** Root of the run folders; `shared` = every worker sees the same folder (then any worker can resume or evaluate any cell). */
  artifacts: string;
  shared: boolean;
  threads: number | null;
  /** Cells run at once (one child process each). */
  concurrency: number;
  /** BullMQ lock duration and stalled-check interval (ms); defaults 30 s / 30 s. */
  lockMs?: number;
  stalledMs?: number;
  /** Without shared artifacts: how long (ms) an eval-only variant waits for the worker holding its model (default 10 min). */
  routeMs?: number;
  checkpointEvery?: number;
  log?: (line: string) => void;
}

/** What the job returns (small JSON). */
export interface CellResult {
  cell: string;
  runs: CellOutcome["runs"];
  jobs: CellOutcome["jobs"];
  artifacts: { host: string; folder: string; shared: boolean };
  /** The worker process (its pid) that ran the cell. */
  worker: number;
  resumed: boolean;
  attempt: number;
  provenance: Provenance;
}

/** `job.progress` while a cell runs (and, after a failed attempt, its records). */
export interface JobProgress {
  host: string;
  pid: number;
  progress?: CellProgress;
  failed?: Pick<CellResult, "runs" | "jobs">;
}

const CHILD = fileURLToPath(new URL("./child.js", import.meta.url));

function failureSummary(o: CellOutcome): string | null {
  const bad = Object.entries(o.jobs).filter(([, j]) => j.status === "failed");
  if (bad.length === 0) return null;
  return bad.map(([id, j]) => `${id}: ${j.status === "failed" ? `${j.stage}: ${j.error}` : ""}`).join("; ");
}

function runChild(req: ChildRequest, onProgress: (p: CellProgress) => void, children: Set<ChildProcess>): Promise<{ outcome: CellOutcome; provenance: Provenance }> {
  return new Promise((done, fail) => {
    // a process group of its own (killGroup), and our pid for its parent-death watchdog (parent-watch.ts)
    const child = fork(CHILD, [], {
      stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced", detached: true,
      env: { ...process.env, [PARENT_PID_ENV]: String(process.pid) },
    });
    children.add(child);
    let settled = false;
    child.on("message", (m: ChildMessage) => {
      if (m.type === "progress") onProgress(m.progress);
      else if (!settled) {
        settled = true;
        if (m.type === "result") done({ outcome: m.outcome, provenance: m.provenance });
        else fail(m.code === "invalid_argument" && /^invalid job payload/.test(m.message) ? new UnrecoverableError(m.message) : new Error(m.message));
      }
    });
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (!settled) {
        settled = true;
        fail(new Error(`the cell's process ended (${signal ?? `exit code ${code}`}) before its result`));
      }
    });
    child.send(req);
  });
}

/** SIGKILLs a cell's process group (the child and anything it started); synchronous, so it can run in an `exit` handler. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL"); // the group is gone or was never made: the child alone
    } catch {
      // already gone
    }
  }
}

/** Where the model of a variant cell (the job's one child: its base cell) was trained, from the base's result. */
async function baseOf(job: Job): Promise<{ host: string; folder: string; finished: string } | null> {
  const values = Object.values(await job.getChildrenValues()) as Array<Partial<CellResult> | null>;
  const r = values.find((v) => v?.artifacts && v.provenance);
  return r ? { host: r.artifacts!.host, folder: r.artifacts!.folder, finished: r.provenance!.finished } : null;
}

export interface RunningWorker {
  worker: Worker;
  /** Stops taking jobs; `force` also kills running cells (their jobs are retried elsewhere after the lock expires). */
  close(force?: boolean): Promise<void>;
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const log = o.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const host = hostname();
  const artifacts = resolve(o.artifacts);
  const children = new Set<ChildProcess>();
  const handedBack = new Set<string>();
  const processor = async (job: Job, token?: string): Promise<CellResult> => {
    let parsed: ParsedPayload;
    try {
      parsed = parsePayload(job.data);
    } catch (e) {
      log(`job ${job.id}: ${(e as Error).message}`);
      throw new UnrecoverableError((e as Error).message);
    }
    if (!o.shared && parsed.cell.after !== null && !existsSync(join(artifacts, parsed.study, parsed.cell.run, STATE_FILE))) {
      // An eval-only variant whose model another worker trained into its own run folders: hand the cell back to
      // the queue (not an attempt) until the worker holding the model takes it; give up after `routeMs`.
      const base = await baseOf(job);
      const waited = Date.now() - (base ? Date.parse(base.finished) : job.timestamp); // no base result (queued alone, on a resume): since queued
      const where = base ? `on ${base.host} in ${base.folder}` : "with another worker";
      if (waited < (o.routeMs ?? 600_000)) {
        if (!handedBack.has(job.id!)) log(`${parsed.cell.id}: its model ${parsed.cell.run} is ${where}, not in ${artifacts}: left for the worker that holds it`);
        handedBack.add(job.id!);
        await job.moveToDelayed(Date.now() + 300, token);
        throw new DelayedError();
      }
      throw new Error(`cell ${parsed.cell.id} needs the model ${parsed.cell.run}, which is ${where}; no worker holding it took the cell within ${Math.round(waited / 1000)} s (stopped?) — hint: run every worker with the same shared --artifacts folder, so any worker can evaluate any model`);
    }
    const attempt = job.attemptsMade + 1;
    log(`${parsed.cell.id} (study ${parsed.study}, attempt ${attempt}): started`);
    let lastSent = 0;
    const ran = runChild(
      { payload: job.data, artifacts, threads: o.threads, ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}) },
      (p) => {
        const now = performance.now();
        if (now - lastSent < 500 && p.phase === "train" && p.step !== p.steps) return; // the last step and the evaluation always go
        lastSent = now;
        const progress: JobProgress = { host, pid: process.pid, progress: p };
        job.updateProgress(progress as unknown as object).catch(() => {}); // Redis away for a moment: the next update carries on
      },
      children,
    );
    const { outcome, provenance } = await ran.catch((e: Error) => {
      log(`${parsed.cell.id}: failed (attempt ${attempt}): ${e.message}`);
      throw e;
    });
    const failed = failureSummary(outcome);
    if (failed !== null) {
      const progress: JobProgress = { host, pid: process.pid, failed: { runs: outcome.runs, jobs: outcome.jobs } };
      await job.updateProgress(JSON.parse(JSON.stringify(progress, encodeNonFinite)) as object);
      log(`${parsed.cell.id}: failed (attempt ${attempt}): ${failed}`);
      throw new Error(failed);
    }
    log(`${parsed.cell.id}: done (${resultIds(parsed.cell).join(", ")})${outcome.resumed ? ", resumed from a checkpoint" : ""}`);
    const result: CellResult = { cell: parsed.cell.id, runs: outcome.runs, jobs: outcome.jobs, artifacts: { host, folder: outcome.folder, shared: o.shared }, worker: process.pid, resumed: outcome.resumed, attempt, provenance };
    return JSON.parse(JSON.stringify(result, encodeNonFinite)) as CellResult; // a diverged loss (NaN) makes the trip as the string "NaN" 
  };
  const connection = openRedis(o.target);
  const worker = new Worker(QUEUE_NAME, processor, {
    connection, concurrency: o.concurrency, lockDuration: o.lockMs ?? 30_000, stalledInterval: o.stalledMs ?? 30_000, maxStalledCount: 2,
  });
  let reported = false;
  worker.on("error", (e) => {
    if (!reported) log(`worker: Redis at ${o.target.display}: ${e.message} (reconnecting)`);
    reported = true;
  });
  worker.on("ready", () => {
    if (reported) log(`worker: connected to Redis at ${o.target.display} again`);
    reported = false;
  });
  // However this process ends (an error, process.exit), its cells' processes end with it; kill -9 is the
  // child's own watchdog's business (parent-watch.ts).
  const killChildren = (): void => {
    for (const c of children) killGroup(c);
  };
  process.on("exit", killChildren);
  try {
    await worker.waitUntilReady();
  } catch (e) {
    process.off("exit", killChildren);
    throw e;
  }
  return {
    worker,
    async close(force = false) {
      if (force) killChildren();
      // With Redis away, close() would wait for it: give it a few seconds, then drop the connection anyway.
      await Promise.race([worker.close(force), new Promise((r) => setTimeout(r, 3000).unref())]);
      connection.disconnect();
      process.off("exit", killChildren);
    },
  };
}
