/**
 * The bench's worker thread (`dist/report/bench-worker.js`, started by runner-worker.ts): answers training and
 * evaluation calls one at a time with the real runner, off the main thread. The corpus (workerData.data: a --data
 * path, or null for Brown) is loaded once, at the first call. Protocol: runner-worker.ts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ExtraposError } from "../pe/errors.js";
import { realRunner } from "./runner-real.js";
import type { BenchWorkerCall, BenchWorkerMessage } from "./runner-worker.js";

const port = parentPort;
if (!port) throw new ExtraposError("internal", "bench-worker.js runs as a worker thread of the bench (runner-worker.ts)");
const runner = realRunner((workerData as { data: string | null }).data);
const send = (m: BenchWorkerMessage) => port.postMessage(m);

port.on("message", (c: BenchWorkerCall) => {
  const work = c.kind === "train"
    ? runner.train({ ...c.req, onProgress: (progress) => send({ id: c.id, type: "progress", progress }) })
    : runner.evaluate(c.req);
  work.then(
    (result) => send({ id: c.id, type: "result", result }),
    (err: unknown) => send({ id: c.id, type: "error", message: err instanceof Error ? err.message : String(err), code: err instanceof ExtraposError ? err.code : null }),
  );
});
