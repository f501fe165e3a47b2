/**
 * A cell's child process dies with its worker. The worker forks each cell in a process group of its own
 * (worker.ts) and kills that group on every exit path it can run code in (SIGINT, SIGTERM, `close`, the
 * process's `exit`); a worker killed outright (kill -9, OOM killer, a crashed machine) runs no code, so the
 * child watches for itself: a watchdog thread, independent of the child's event loop (which training and
 * evaluation may keep busy for seconds), polls the child's parent pid and, the moment it is no longer the
 * worker's (the child was re-parented), SIGKILLs its own process. Killing at any instant leaves no half
 * state: every file of a cell is written atomically (temp file + rename; a stale temp file is removed by
 * the next writer), the same guarantee `extrapos train` gives a kill -9 of its own (docs/reliability.md).
 *
 * Example (in the child, before anything is written):
 *   watchParent(Number(process.env[PARENT_PID_ENV]));   // returns at once; the thread is unref'd
 */
import { Worker } from "node:worker_threads";

/** The environment variable through which the worker tells its child its pid. */
export const PARENT_PID_ENV = "EXTRAPOS_WORKER_PID";

/** How often the watchdog looks (ms): the child outlives its worker by at most about this. */
export const PARENT_POLL_MS = 100;

// The watchdog thread's code: `process.ppid` reads getppid() anew on each access, in any thread.
const WATCHDOG = `
const { workerData } = require("node:worker_threads");
const { parent, every } = workerData;
const check = () => { if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); };
check();
setInterval(check, every);
`;

/** Starts the watchdog for parent `parent` (a pid); a no-op for a missing or invalid pid (the child run by hand). */
export function watchParent(parent: number, everyMs = PARENT_POLL_MS): void {
  if (!Number.isSafeInteger(parent) || parent <= 0) return;
  if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); // the worker died before we got here
  const w = new Worker(WATCHDOG, { eval: true, workerData: { parent, every: everyMs } });
  w.unref();
}
