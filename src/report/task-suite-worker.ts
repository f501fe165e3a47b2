/**
 * The task suite's worker thread (`dist/report/task-suite-worker.js`): one training or one evaluation of
 * the suite, off the main thread, so that `jobs` of them run at once on `jobs` cores. The engine computes
 * on the thread that calls it (with `threads: 1`, no pool), so two trainings on the main thread would take
 * turns; on two worker threads they run side by side. Each job gives the numbers it gives on the main
 * thread: the same code, seeds and thread count.
 *
 *   parent → worker (workerData)  { kind: "train", req } | { kind: "evaluate", req }
 *   worker → parent               { type: "progress", progress } … then { type: "result", result } or { type: "error", message, code }
 *
 * Example (from task-suite-real.ts): `new Worker(WORKER_URL, { workerData: { kind: "evaluate", req } })`
 */
import { parentPort, workerData } from "node:worker_threads";
import { ExtraposError } from "../pe/errors.js";
import { directTaskRunner, type TaskJob } from "./task-suite-real.js";

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new ExtraposError("internal", "task-suite-worker.js runs as a worker thread of the task suite");
  const job = workerData as TaskJob;
  const runner = directTaskRunner();
  try {
    const result = job.kind === "train"
      ? await runner.train({ ...job.req, onProgress: (progress) => port.postMessage({ type: "progress", progress }) })
      : await runner.evaluate(job.req);
    port.postMessage({ type: "result", result });
  } catch (err) {
    port.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err), code: err instanceof ExtraposError ? err.code : null });
  }
}

void main();
