/**
 * The bench's Runner for several jobs at once: each training and evaluation runs on a worker thread
 * (bench-worker.ts) with the real runner (runner-real.ts), so that `plan.jobs` of them compute side by side —
 * the engine computes on its calling thread (with `threads: 1`, no pool), so two trainings on the main thread
 * would take turns. Workers are kept between calls (each loads the corpus once) and unreferenced while idle, so
 * they never keep the process alive. A job gives the numbers it gives on the main thread: the same code, seeds
 * and thread count (src/cli/bench-jobs.test.ts compares them bit for bit).
 *
 *   parent → worker   { id, kind: "train", req } | { id, kind: "evaluate", req }      (requests without callbacks)
 *   worker → parent   { id, type: "progress", progress } … then { id, type: "result", result } | { id, type: "error", message, code }
 *
 * Example: `await runExperiment({ ..., runner: workerRunner(null) })` (the bench does this when plan.jobs > 1).
 */
import { Worker } from "node:worker_threads";
import { ExtraposError, type ErrorCode } from "../pe/errors.js";
import type { EvalRequest, Runner, TrainProgress, TrainRequest } from "./runner.js";

/** A call of the worker thread: the request without its progress callback. */
export type BenchWorkerCall = { id: number; kind: "train"; req: Omit<TrainRequest, "onProgress"> } | { id: number; kind: "evaluate"; req: EvalRequest };

export type BenchWorkerMessage =
  | { id: number; type: "progress"; progress: TrainProgress }
  | { id: number; type: "result"; result: unknown }
  | { id: number; type: "error"; message: string; code: ErrorCode | null };

const WORKER_URL = new URL("./bench-worker.js", import.meta.url);

/**
 * A Runner whose calls each run on an idle worker thread (a new one when none is idle): as many workers as calls
 * at once. `data`: the --data path, or null for the Brown corpus (loaded once per worker, at its first call).
 */
export function workerRunner(data: string | null): Runner {
  const idle: Worker[] = [];
  let nextId = 0;
  // a worker that dies while idle leaves the pool (it would never answer); its error is not the caller's
  const spawn = (): Worker => {
    const w = new Worker(WORKER_URL, { workerData: { data } });
    const drop = () => { const i = idle.indexOf(w); if (i >= 0) idle.splice(i, 1); };
    w.on("exit", drop).on("error", drop);
    return w;
  };
  const call = <R>(c: BenchWorkerCall, onProgress?: (p: TrainProgress) => void): Promise<R> => new Promise<R>((resolve, reject) => {
    const w = idle.pop() ?? spawn();
    w.ref();
    let settled = false;
    const done = (keep: boolean, f: () => void) => {
      if (settled) return;
      settled = true;
      w.off("message", onMessage).off("error", onError).off("exit", onExit);
      if (keep) {
        w.unref();
        idle.push(w);
      } else void w.terminate();
      f();
    };
    const onMessage = (m: BenchWorkerMessage) => {
      if (m.id !== c.id) return;
      if (m.type === "progress") onProgress?.(m.progress);
      else if (m.type === "result") done(true, () => resolve(m.result as R));
      else done(false, () => reject(new ExtraposError(m.code ?? "internal", m.message))); // a fresh worker after a failure (e.g. out of memory)
    };
    const onError = (err: Error) => done(false, () => reject(err));
    const onExit = (code: number) => done(false, () => reject(new ExtraposError("thread_crash", `the bench's worker thread exited (code ${code}) before answering`)));
    w.on("message", onMessage).on("error", onError).on("exit", onExit);
    w.postMessage(c);
  });
  return {
    train(req) {
      const { onProgress, ...rest } = req;
      return call({ id: nextId++, kind: "train", req: rest }, onProgress);
    },
    evaluate(req) {
      return call({ id: nextId++, kind: "evaluate", req });
    },
  };
}
