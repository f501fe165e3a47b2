// Node adapter of the worker entry: receives the WorkerInit as `workerData`, says "ready", then runs
// the platform-free loop (worker-loop.ts) until the pool sets SHUTDOWN or terminates the thread.
import { parentPort, workerData } from "node:worker_threads";
import type { WorkerInit } from "./control.js";
import { prepareWorker } from "./worker-loop.js";

let loop: () => void;
try {
  loop = prepareWorker(workerData as WorkerInit);
} catch (err) {
  parentPort?.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
  throw err;
}
parentPort?.postMessage({ type: "ready" });
loop();
